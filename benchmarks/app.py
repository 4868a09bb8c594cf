"""Load figures for a generated app: gunicorn on 127.0.0.1 against local PostgreSQL.

Generates a project with the default answers (or takes an installed one), starts it
as its compose file does (production settings, gunicorn with its default workers)
against a fresh database on 127.0.0.1:5432 (user postgres), and prints:

- requests per second (also as a share of `/health/`'s in the same run), p50 and p99
  latency for `/health/`, the first page of `GET /api/orders/` over a table of
  `--rows` orders, `POST /api/orders/` (token authentication, as programs call the
  API), and `GET /api/orders/` with a wrong password (HTTP Basic, refused without
  hashing it), each for `--requests` requests from `--clients` concurrent clients on
  this machine, sent in `--rounds` turns the endpoints take one after the other (so
  that other work on the machine weighs on all of them alike);
- the time the default worker (django-q2, started with the compose file's command)
  takes to deliver a backlog of `--publications` pending durable event publications:
  owed and not queued (as after an outage of the queue), or with `--queued` queued
  one task each (as requests queue them while the worker is stopped).

Every request goes to 127.0.0.1, and every loop is bounded by a count and a timeout.

    uv run python benchmarks/app.py [--requests 2000] [--clients 4] [--rounds 5]
                                    [--rows 100000] [--publications 10000] [--queued]
                                    [--project PATH]
"""

import argparse
import base64
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import yaml
from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOST = "bench.example.com"
DRAIN_TIMEOUT_SECONDS = 3600


def generate(destination: Path) -> Path:
    run_copy(str(TEMPLATE_ROOT), destination, defaults=True, unsafe=True, quiet=True)
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "sync", "--quiet"], cwd=destination, env=base_env(destination), check=True)
    return destination


def base_env(project: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "DATABASE_URL"}}
    env["PATH"] = os.pathsep.join([str(project / ".venv" / "bin"), env.get("PATH", "")])
    env.update(UV_PYTHON_DOWNLOADS="never", **overrides)
    return env


@contextmanager
def database() -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(project: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(["python", "manage.py", *args], cwd=project, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(url: str, authorization: str, body: bytes | None = None, status: int = 200) -> float:
    """Seconds one request took; fails on any other status than the one expected."""
    call = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    call.add_header("Host", HOST)
    call.add_header("Authorization", authorization)
    call.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            response.read()
            answered = response.status
    except urllib.error.HTTPError as error:
        answered = error.code
    assert answered == status, f"{url} answered {answered}, not {status}"
    return time.perf_counter() - started


def load(send: Callable[[], float], requests: int, clients: int) -> tuple[float, list[float]]:
    """Seconds taken by `requests` calls of `send` from `clients` threads, and each call's."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(lambda _: send(), range(requests)))
    return time.perf_counter() - started, latencies


def load_in_turns(
    cases: dict[str, Callable[[], float]], requests: int, clients: int, rounds: int
) -> dict[str, tuple[float, float, float]]:
    """Requests per second, p50 and p99 in milliseconds for each case, `requests` calls
    each, sent in `rounds` turns taken by the cases in order: a burst of other work on
    the machine slows every case alike instead of whichever one it falls on."""
    spent = dict.fromkeys(cases, 0.0)
    latencies: dict[str, list[float]] = {name: [] for name in cases}
    for send in cases.values():
        for _ in range(min(10, requests)):
            send()  # warm-up: connections, caches
    for turn in range(rounds):
        share = requests // rounds + (turn < requests % rounds)
        for name, send in cases.items():
            seconds, each = load(send, share, clients)
            spent[name] += seconds
            latencies[name] += each
    figures = {}
    for name, each in latencies.items():
        each.sort()
        p99 = each[min(len(each) - 1, int(len(each) * 0.99))]
        figures[name] = (len(each) / spent[name], statistics.median(each) * 1000, p99 * 1000)
    return figures


@contextmanager
def running(command: list[str], project: Path, env: dict[str, str], log: Path) -> Iterator[None]:
    process = subprocess.Popen(command, cwd=project, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def seed_orders(url: str, rows: int) -> None:
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO orders_order (name, created_at, updated_at) "
            "SELECT 'order ' || n, now() - n * interval '1 second', now() "
            "FROM generate_series(1, %s) AS n",
            (rows,),
        )
        connection.execute("ANALYZE orders_order")


def bench_http(project: Path, env: dict[str, str], key: str, args: argparse.Namespace,
               log: Path) -> None:  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = ["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    with running(gunicorn, project, env, log):
        wait_until(lambda: healthy(base), "gunicorn answering /health/", 60)
        created = iter(range(10**9))
        token = f"Token {key}"
        wrong_password = "Basic " + base64.b64encode(b"bench:not-the-password").decode()
        cases: dict[str, Callable[[], float]] = {
            "GET /health/": lambda: request(f"{base}/health/", token),
            "GET /api/orders/ (first page)": lambda: request(f"{base}/api/orders/", token),
            "POST /api/orders/": lambda: request(
                f"{base}/api/orders/", token, f'{{"name": "bench {next(created)}"}}'.encode(), 201
            ),
            "GET /api/orders/ (wrong password)": lambda: request(
                f"{base}/api/orders/", wrong_password, status=401
            ),
        }
        figures = load_in_turns(cases, args.requests, args.clients, args.rounds)
        print(f"{'endpoint':<36}{'requests/s':>12}{'of /health/':>13}{'p50 ms':>10}{'p99 ms':>10}")
        health = figures["GET /health/"][0]  # the reference
        for name, (per_second, p50, p99) in figures.items():
            share = f"{per_second / health:.0%}"
            print(f"{name:<36}{per_second:>12.1f}{share:>13}{p50:>10.1f}{p99:>10.1f}")


SETUP = """
from apps.orders import services
from core.models import User
from modulith.events.models import EventPublication
from django_q.models import OrmQ
from rest_framework.authtoken.models import Token

services.create_order(name="probe")  # one real publication, copied into a backlog
probe = EventPublication.objects.get()
EventPublication.objects.bulk_create(
    [
        EventPublication(
            event_name=probe.event_name,
            payload={**probe.payload, "order_id": 10**9 + n, "name": f"backlog {n}"},
            subscriber=probe.subscriber,
        )
        for n in range({count} - 1)
    ],
    batch_size=1000,
)
# As after an outage of the queue: every publication owed, none queued. Or (--queued)
# as requests queue them while the worker is stopped: one task each.
EventPublication.objects.update(enqueued_at=None)
OrmQ.objects.all().delete()
if {queued}:
    from django.utils import timezone
    from modulith.events.delivery import hand_to_worker

    EventPublication.objects.update(enqueued_at=timezone.now())
    for pk in EventPublication.objects.order_by("published_at").values_list("pk", flat=True):
        hand_to_worker([pk])
print(Token.objects.create(user=User.objects.create_user("bench")).key)
"""


def bench_drain(project: Path, env: dict[str, str], url: str, count: int, log: Path) -> None:
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    command = compose["services"]["worker"]["command"]

    def pending() -> int:
        with psycopg.connect(url) as connection:
            sql = "SELECT count(*) FROM modulith_events_eventpublication WHERE completed_at IS NULL"
            row = connection.execute(sql).fetchone()
            return int(row[0]) if row else 0

    def queued() -> int:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT count(*) FROM django_q_ormq").fetchone()
            return int(row[0]) if row else 0

    assert pending() == count
    tasks = queued()
    started = time.perf_counter()
    with running(command, project, env, log):
        wait_until(lambda: pending() == 0, f"delivering {count} publications",
                   DRAIN_TIMEOUT_SECONDS)  # fmt: skip
        seconds = time.perf_counter() - started
        wait_until(lambda: queued() == 0, "emptying the queue", DRAIN_TIMEOUT_SECONDS)
        emptied = time.perf_counter() - started
    print(f"drained {count} pending publications with django-q2 in {seconds:.1f} s "
          f"({count / seconds:.0f}/s, worker start-up included); {tasks} tasks queued "
          f"before, the queue empty after {emptied:.1f} s")  # fmt: skip


def options(description: str, rows: int, rounds: int) -> argparse.ArgumentParser:
    """The options the load benchmarks (this one and telemetry.py) share, with defaults."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=rounds, help="turns the endpoints take")
    parser.add_argument("--rows", type=int, default=rows, help="orders in the table")
    parser.add_argument("--project", type=Path, help="an installed project (default: generate)")
    return parser


def production_env(project: Path, database_url: str) -> dict[str, str]:
    """The project's environment as compose sets it, on this machine's database."""
    return base_env(
        project,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
    )


def migrated_with_orders(project: Path, env: dict[str, str], rows: int) -> None:
    manage(project, env, "migrate", "--no-input")
    seed_orders(env["DATABASE_URL"], rows)


def main() -> None:
    parser = options(__doc__.splitlines()[0], rows=100_000, rounds=5)
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint")
    parser.add_argument("--publications", type=int, default=10_000, help="backlog to drain")
    queued_help = "the backlog queued one task per publication, as requests queue it"
    parser.add_argument("--queued", action="store_true", help=queued_help)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, database() as url:
        project = args.project or generate(Path(scratch) / "project")
        env = production_env(project, url)
        migrated_with_orders(project, env, args.rows)
        # A user's API token, and the backlog of publications, in one start of Django.
        setup = SETUP.replace("{count}", str(args.publications))
        setup = setup.replace("{queued}", str(args.queued))
        token = manage(project, env, "shell", "-c", setup).split()[-1]
        bench_drain(project, env, url, args.publications, Path(scratch) / "worker.log")
        print(f"{args.rows} orders in the table, {args.requests} requests per endpoint from "
              f"{args.clients} clients, gunicorn's default workers")  # fmt: skip
        bench_http(project, env, token, args, Path(scratch) / "gunicorn.log")


if __name__ == "__main__":
    main()
