"""The generated app, started as compose starts it, against hostile clients and failing
dependencies brought about by real means: slow sockets, a database listener that never
answers, a closed port, bursts of wrong passwords.

Every socket goes to 127.0.0.1, every loop is bounded by a count and a deadline, and
each test has its own database and port.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.conftest import Render, temporary_database
from tests.helpers import project_env, run
from tests.test_delivery_run import api_token, compose_value, free_port

pytestmark = pytest.mark.project

HOST = "shop.example.com"
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}


@dataclass(frozen=True)
class App:
    base: str
    port: int
    project: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[str]


def compose_env(project: Path, database: str, port: int, **extra: str) -> dict[str, str]:
    """The `app` service's environment as compose gives it, with this machine's services."""
    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    user_env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "true",
    }
    declared = {name: str(value) for name, value in service["environment"].items()}
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        PATH=f"{project / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        **{name: compose_value(value, user_env) for name, value in declared.items()},
    )
    env.update(DATABASE_URL=database, PORT=str(port), **extra)
    return env


def start(project: Path, env: dict[str, str], log: Path, wait_healthy: bool = True) -> App:
    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    run(["python", "manage.py", "collectstatic", "--no-input"], cwd=project, env=env)
    process = subprocess.Popen(
        service["command"], cwd=project, env=env, stdout=log.open("w"),
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    port = int(env["PORT"])
    app = App(f"http://127.0.0.1:{port}", port, project, env, log, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            if not wait_healthy or http("GET", f"{app.base}/health/")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    assert process.poll() is None, log.read_text()
    return app


def stop(app: App, timeout: float = 40) -> int:
    if app.process.poll() is None:
        app.process.send_signal(signal.SIGTERM)
        try:
            app.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait(timeout=10)
    return app.process.returncode


@contextmanager
def running_app(project: Path, database: str, tmp_path: Path, **extra: str) -> Iterator[App]:
    env = compose_env(project, database, free_port(), **extra)
    app = start(project, env, tmp_path / "app.log")
    try:
        yield app
    finally:
        stop(app)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in {**PROXY_HEADERS, **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


class Probe(int):
    """1 when a GET was answered (any status but 5xx) within the limit; says how."""

    outcome: str

    def __repr__(self) -> str:
        return self.outcome


def timed_status(url: str, headers: Mapping[str, str] | None = None, limit: float = 1.0) -> Probe:
    """Whether a GET was answered (any status but 5xx) within `limit` seconds."""
    started = time.monotonic()
    try:
        status: int | str = http("GET", url, headers=headers, timeout=limit + 1)[0]
    except OSError as error:
        status = type(error).__name__
    elapsed = time.monotonic() - started
    probe = Probe(isinstance(status, int) and status < 500 and elapsed <= limit)
    probe.outcome = f"{url.rsplit('/', 2)[-2]}:{status}:{elapsed:.2f}s"
    return probe


@pytest.fixture(scope="module")
def project(render: Render, install: Callable[[Path], Path]) -> Path:
    return install(render({}))


@pytest.fixture
def database(postgres_admin: str) -> Iterator[str]:
    with temporary_database(postgres_admin) as url:
        yield url


# -- 1. Slow clients -----------------------------------------------------------------


def slowloris(port: int, stop_at: float, held: list[int]) -> None:
    """A client that sends a header line every 3 s and never finishes its request."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"GET /health/ HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            held.append(1)
            while time.monotonic() < stop_at:
                time.sleep(3)
                sock.sendall(b"X-Slow: 1\r\n")
    except OSError:
        pass


def slow_body(
    port: int, stop_at: float, held: list[int], path: str = "/auth/token/", head: str = ""
) -> None:
    """A client that announces a body and sends one byte of it every 3 s."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n{head}"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode()
            )
            held.append(1)
            while time.monotonic() < stop_at:
                time.sleep(3)
                sock.sendall(b" ")
    except OSError:
        pass


def test_fifty_slow_clients_do_not_stop_the_app_serving_others(
    project: Path, database: str, tmp_path: Path
) -> None:
    with running_app(project, database, tmp_path) as app:
        token = {"Authorization": f"Token {api_token(project, database)}"}
        stop_at = time.monotonic() + 25
        held: list[int] = []
        clients = [
            threading.Thread(target=kind, args=(app.port, stop_at, held), daemon=True)
            for kind in [slowloris] * 25 + [slow_body] * 25
        ]
        answered = probed_while_held(app, token, clients)

    assert len(held) == 50
    assert sum(answered) / len(answered) >= 0.95, answered


def probed_while_held(
    app: App, token: dict[str, str], clients: list[threading.Thread]
) -> list[Probe]:
    """Start the slow clients, then probe `/health/` and the API 20 times each while
    they hold their connections: whether each probe was answered in time."""
    for client in clients:
        client.start()
    time.sleep(4)  # every slow client has its connection and sends its first bytes
    answered = []
    for _ in range(20):
        answered.append(timed_status(f"{app.base}/health/"))
        answered.append(timed_status(f"{app.base}/api/orders/", token))
        time.sleep(0.2)
    for client in clients:
        client.join(timeout=40)
    return answered


def test_fifty_slow_bodies_of_a_logged_in_user_hold_no_database_connection(
    project: Path, database: str, tmp_path: Path
) -> None:
    """The session is read from the database; a slow body is read before it, so each
    slow client holds a thread, not one of the pool's connections (20 per worker)."""
    with running_app(project, database, tmp_path) as app:
        token = {"Authorization": f"Token {api_token(project, database)}"}
        csrf = secrets.token_hex(16)
        head = (
            f"Cookie: {admin_session(project, app.env)['Cookie']}; csrftoken={csrf}\r\n"
            f"X-CSRFToken: {csrf}\r\nOrigin: https://{HOST}\r\nReferer: https://{HOST}/\r\n"
        )
        stop_at = time.monotonic() + 25
        held: list[int] = []
        clients = [
            threading.Thread(
                target=slow_body, args=(app.port, stop_at, held, "/api/orders/", head), daemon=True
            )
            for _ in range(50)
        ]
        answered = probed_while_held(app, token, clients)

    assert len(held) == 50
    assert sum(answered) / len(answered) >= 0.95, answered


# -- 2. Password hashing as a weapon -------------------------------------------------


def test_wrong_passwords_from_many_addresses_leave_health_answering(
    project: Path, database: str, tmp_path: Path
) -> None:
    # The proxy in front tells the addresses apart (X-Forwarded-For, DJANGO_NUM_PROXIES).
    with running_app(project, database, tmp_path, DJANGO_NUM_PROXIES="1") as app:

        def guess(n: int) -> int:
            body = json.dumps({"username": f"user{n % 5}", "password": f"wrong{n}"}).encode()
            headers = {"X-Forwarded-For": f"203.0.113.{n % 6 + 1}"}
            try:
                return http("POST", f"{app.base}/auth/token/", body, headers, timeout=60)[0]
            except OSError:
                return 0

        health: list[bool] = []
        with ThreadPoolExecutor(max_workers=12) as pool:
            guesses = pool.map(guess, range(60))
            time.sleep(0.5)
            for _ in range(10):
                health.append(timed_status(f"{app.base}/health/"))
                time.sleep(0.3)
            statuses = list(guesses)

    assert all(status in {400, 403, 429} for status in statuses), statuses
    assert sum(health) >= 9, health


# -- 3. A database that accepts connections and never answers -----------------------


@contextmanager
def hung_listener() -> Iterator[int]:
    """A TCP listener that accepts connections and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(100)
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        server.settimeout(0.5)
        while not done.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        server.close()


HUNG_BOUND_SECONDS = 15

LOGIN_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from core.models import User
user = User.objects.get(username="admin")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                BACKEND_SESSION_KEY: "core.auth.BoundedModelBackend"})
session.create()
print(session.session_key)
"""


def admin_session(project: Path, env: dict[str, str]) -> dict[str, str]:
    """The session cookie of the superuser `api_token` created, logged in as the admin's
    login form logs in."""
    key = run(["python", "manage.py", "shell", "-c", LOGIN_SCRIPT], cwd=project, env=env)
    return {"Cookie": f"sessionid={key.stdout.split()[-1]}"}


@pytest.mark.parametrize("command", [["migrate", "--no-input"], ["resubmit_events", "--reclaim"]])
def test_start_commands_fail_within_a_bound_on_a_hung_database(
    project: Path, command: list[str]
) -> None:
    with hung_listener() as port:
        env = compose_env(project, f"postgres://postgres@127.0.0.1:{port}/app", free_port())
        started = time.monotonic()
        result = subprocess.run(
            ["python", "manage.py", *command], cwd=project, env=env, capture_output=True,
            text=True, timeout=HUNG_BOUND_SECONDS * 4, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started

    assert result.returncode != 0
    assert elapsed < HUNG_BOUND_SECONDS, f"{command[0]} took {elapsed:.1f} s"


def test_health_and_api_fail_within_a_bound_on_a_hung_database(
    project: Path, database: str, tmp_path: Path
) -> None:
    env_real = compose_env(project, database, free_port())
    run(["python", "manage.py", "migrate", "--no-input"], cwd=project, env=env_real)
    token = {"Authorization": f"Token {api_token(project, database)}"}
    session = admin_session(project, env_real)
    with hung_listener() as port:
        # Migrations ran against the real database; the app then finds the database hung.
        env = compose_env(project, f"postgres://postgres@127.0.0.1:{port}/app", free_port())
        command = ["gunicorn", "config.wsgi"]
        log = tmp_path / "app.log"
        process = subprocess.Popen(command, cwd=project, env=env, stdout=log.open("w"),
                                   stderr=subprocess.STDOUT, text=True)  # fmt: skip
        app = App(f"http://127.0.0.1:{env['PORT']}", int(env["PORT"]), project, env, log, process)
        try:
            # Until a worker serves (liveness needs no database): the bound is the
            # requests', not the workers' start on a loaded machine.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if http("GET", app.base + "/health/live/", timeout=5)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            results = []
            # The session is read by a middleware, outside DRF's views, and the admin's
            # pages answer HTML: the same 503 within the same bound.
            calls = [("/health/", None), ("/api/orders/", token), ("/api/orders/", session),
                     ("/admin/", session)]  # fmt: skip
            for path, headers in calls * 2:
                started = time.monotonic()
                status, body, answer_headers = http("GET", app.base + path, None, headers, 60)
                results.append((path, status, body, time.monotonic() - started, answer_headers))
            live = http("GET", app.base + "/health/live/", timeout=5)
        finally:
            stop(app)
        log_text = log.read_text()

    for path, status, body, elapsed, answer_headers in results:
        assert status == 503, (path, status, body)
        assert elapsed < 10, (path, elapsed)
        if path == "/health/":
            assert json.loads(body)["database"] == "unreachable"
        else:
            assert answer_headers.get("Retry-After") == "5", (path, answer_headers)
        if path.startswith("/api/"):
            assert json.loads(body)["errors"][0]["code"] == "service_unavailable"
        assert "sessionid=" not in answer_headers.get("Set-Cookie", ""), "nobody logged out"
    assert live[0] == 200, "liveness does not depend on the database"
    assert "Traceback" not in log_text, log_text[-3000:]


# -- Bounded database connections -------------------------------------------------------


def connections_to(admin_url: str, database: str, other_than: int) -> int:
    """Server processes connected to `database`, but the one whose pid is `other_than`."""
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as connection:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s"
        row = connection.execute(sql, (name, other_than)).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def orders_locked(database: str) -> Iterator[int]:
    """Every read of the orders table waits until the block ends: requests that read it
    hold their database connection meanwhile, as slow queries do. Yields the pid of the
    connection holding the lock."""
    with psycopg.connect(database) as connection:
        connection.execute("LOCK TABLE orders_order IN ACCESS EXCLUSIVE MODE")
        yield connection.info.backend_pid
        connection.rollback()


POOL_TIMEOUT = 2.0
SLOW_REQUESTS = 12


def test_concurrent_slow_requests_use_at_most_the_pool_and_the_rest_get_503(
    project: Path, database: str, postgres_admin: str, tmp_path: Path
) -> None:
    pool = {"DJANGO_DB_POOL_MAX_SIZE": "3", "DJANGO_DB_POOL_TIMEOUT": str(POOL_TIMEOUT)}
    with running_app(project, database, tmp_path, **pool) as app:
        most = int(app.env.get("GUNICORN_WORKERS", "2")) * 3
        token = {"Authorization": f"Token {api_token(project, database)}"}

        def list_orders(_: int) -> tuple[int, float, dict[str, str], bytes]:
            started = time.monotonic()
            status, body, headers = http("GET", f"{app.base}/api/orders/", None, token, 60)
            return status, time.monotonic() - started, headers, body

        with ThreadPoolExecutor(max_workers=SLOW_REQUESTS) as clients:
            with orders_locked(database) as locker:
                calls = [clients.submit(list_orders, n) for n in range(SLOW_REQUESTS)]
                # Until the requests beyond the pool have their answer: the others
                # hold their connections, waiting for the lock.
                peak, deadline = 0, time.monotonic() + 30
                while time.monotonic() < deadline:
                    peak = max(peak, connections_to(postgres_admin, database, locker))
                    if sum(call.done() for call in calls) >= SLOW_REQUESTS - most:
                        break
                    time.sleep(0.1)
            answered = [call.result() for call in calls]

    assert peak <= most, f"{peak} connections, more than {most} pooled"
    waited = [answer for answer in answered if answer[0] == 503]
    assert len(waited) >= SLOW_REQUESTS - most, [answer[:2] for answer in answered]
    for _, elapsed, headers, body in waited:
        assert elapsed < POOL_TIMEOUT + 3, elapsed
        assert headers["Retry-After"] == "5"
        assert json.loads(body)["errors"][0]["code"] == "service_unavailable"
    served = [answer[0] for answer in answered if answer[0] != 503]
    assert served, "the requests that had a connection are served once the lock goes"
    assert all(status == 200 for status in served), served


def test_the_statement_timeout_holds_for_pooled_connections(
    project: Path, database: str, tmp_path: Path
) -> None:
    with running_app(project, database, tmp_path, DJANGO_DB_STATEMENT_TIMEOUT="2") as app:
        token = {"Authorization": f"Token {api_token(project, database)}"}
        with orders_locked(database):
            started = time.monotonic()
            status, body, headers = http("GET", f"{app.base}/api/orders/", None, token, 30)
            elapsed = time.monotonic() - started

    assert status == 503, body
    assert headers["Retry-After"] == "5"
    assert elapsed < 5, elapsed


# -- 9. Client errors answered as such -------------------------------------------------


def raw(port: int, data: bytes, timeout: float = 30) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with suppress(OSError):
            sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
    return b"".join(chunks)


def test_client_errors_are_answered_as_client_errors(
    project: Path, database: str, tmp_path: Path
) -> None:
    with running_app(project, database, tmp_path) as app:
        token = {"Authorization": f"Token {api_token(project, database)}"}
        deep = b"[" * 100_000 + b"]" * 100_000
        answers = {
            "deep json, api": http("POST", f"{app.base}/api/orders/", deep, token)[0],
            "deep json, token": http("POST", f"{app.base}/auth/token/", deep)[0],
            "tampered cursor": http("GET", f"{app.base}/api/orders/?cursor=%%%zz", headers=token)[
                0
            ],
            "tampered cursor b64": http(
                "GET", f"{app.base}/api/orders/?cursor=cD1nYXJiYWdl", headers=token
            )[0],
            "deep json, no credentials": http("POST", f"{app.base}/auth/token/", b"[" * 100_000)[0],
        }
        big = 50 * 1024 * 1024
        head = (
            f"POST /auth/token/ HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
            f"Content-Type: application/json\r\nContent-Length: {big}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        answer = raw(app.port, head + b"{" + b" " * (1024 * 1024))
        answers["50 MB body"] = int(answer.split(b" ", 2)[1]) if answer else 0
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        fields = "&".join(f"a{n}=1" for n in range(1200)).encode()
        answers["1200 form fields"] = http("POST", f"{app.base}/auth/token/", fields, form)[0]
        many = "&".join(f"a{n}=1" for n in range(5000)).encode()
        answers["5000 form fields, api"] = http(
            "POST", f"{app.base}/api/orders/", many, {**form, **token}
        )[0]
        files = b"".join(
            b'--b\r\nContent-Disposition: form-data; name="f%d"; filename="f.txt"\r\n\r\nx\r\n' % n
            for n in range(120)
        )
        multipart = {"Content-Type": "multipart/form-data; boundary=b", **token}
        answers["120 files"] = http(
            "POST", f"{app.base}/api/orders/", files + b"--b--\r\n", multipart
        )[0]
        answers["bad host"] = http("GET", f"{app.base}/api/orders/", headers={"Host": "evil.com"})[
            0
        ]
        unknown = http("GET", f"{app.base}/api/no-such-domain/", headers=token)
        answers["unknown api path"] = unknown[0]
        with ThreadPoolExecutor(max_workers=12) as pool:
            schemas = set(
                pool.map(
                    lambda _: http("GET", f"{app.base}/api-schema/", headers=token)[0], range(12)
                )
            )
        log = app.log.read_text()

    assert answers == {
        "deep json, api": 400,
        "deep json, token": 400,
        "tampered cursor": 400,
        "tampered cursor b64": 400,
        "deep json, no credentials": 400,
        "50 MB body": 413,
        "1200 form fields": 400,
        "5000 form fields, api": 400,
        "120 files": 400,
        "bad host": 400,
        "unknown api path": 404,
    }
    assert json.loads(unknown[1])["errors"][0]["code"] == "not_found"
    assert schemas == {200}, "drf-spectacular generates one schema at a time"
    assert "Traceback" not in log, log[-3000:]
    assert not [r for r in json_lines(log) if r.get("level") == "ERROR"], log[-3000:]


# -- 10. The API contract is what the server enforces ----------------------------------


def schema(project: Path, env: dict[str, str]) -> dict[str, Any]:
    text = run(["python", "manage.py", "spectacular", "--format", "openapi-json"],
               cwd=project, env=env).stdout  # fmt: skip
    return dict(json.loads(text))


def ecma_matches(pattern: str, values: list[str]) -> list[bool]:
    """What an OpenAPI client (ECMA-262 regular expressions, Unicode mode) decides."""
    script = (
        "const [p, v] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(v.map(s => new RegExp(p, 'u').test(s))));"
    )
    result = subprocess.run(["node", "-e", script], input=json.dumps([pattern, values]),
                            capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    return [bool(match) for match in json.loads(result.stdout)]


def test_what_the_schema_accepts_is_what_the_server_accepts(
    project: Path, database: str, tmp_path: Path
) -> None:
    if shutil.which("node") is None:
        pytest.skip("node (an ECMA-262 regular expression engine) is not installed")
    with running_app(project, database, tmp_path) as app:
        api = schema(project, app.env)
        token = {"Authorization": f"Token {api_token(project, database)}"}
        names = ["\u001d", "\u001c\u001f", "\u0085", "\u00a0", " ", "\u200b", "\ufeff", "a", "\t x"]
        accepted = [
            http("POST", f"{app.base}/api/orders/", json.dumps({"name": n}).encode(), token)[0]
            == 201
            for n in names
        ]
        status, body, _ = http(
            "POST", f"{app.base}/auth/token/", b'{"username": "nobody", "password": "wrong"}'
        )

    request = api["components"]["schemas"]["OrderRequest"]["properties"]["name"]
    assert dict(zip(names, ecma_matches(request["pattern"], names), strict=True)) == dict(
        zip(names, accepted, strict=True)
    )
    # The 400 of POST /auth/token/ is one its schema lists.
    assert status == 400
    error = json.loads(body)["errors"][0]
    components = api["components"]["schemas"]
    response = api["paths"]["/auth/token/"]["post"]["responses"]["400"]
    validation = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    error_ref = components[validation]["discriminator"]["mapping"]["validation_error"]
    one_error = components[error_ref.rsplit("/", 1)[1]]["properties"]["errors"]["items"]["$ref"]
    by_attr = components[one_error.rsplit("/", 1)[1]]["discriminator"]["mapping"]
    component = components[by_attr[error["attr"]].rsplit("/", 1)[1]]
    assert error["code"] in component["properties"]["code"]["enum"], (error, component)


# -- 6 and 12. Headers, and a graceful stop ---------------------------------------------


def test_every_response_carries_security_headers_and_no_server_name(
    project: Path, database: str, tmp_path: Path
) -> None:
    with running_app(project, database, tmp_path) as app:
        answers = {
            path: http("GET", app.base + path)[2]
            for path in ("/health/", "/health/live/", "/api/orders/", "/admin/login/")
        }
        log_text = app.log.read_text()

    for path, headers in answers.items():
        assert "Content-Security-Policy" in headers, path
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert "Server" not in headers, (path, headers.get("Server"))
    assert "Control server error" not in log_text


def test_sigterm_lets_requests_in_flight_finish(
    project: Path, database: str, tmp_path: Path
) -> None:
    env = compose_env(project, database, free_port())
    app = start(project, env, tmp_path / "app.log")
    token = {"Authorization": f"Token {api_token(project, database)}"}
    try:

        def call(n: int) -> int | str:
            body = json.dumps({"name": f"order {n}"}).encode()
            try:
                return http("POST", f"{app.base}/api/orders/", body, token, timeout=30)[0]
            except OSError as error:
                return type(error).__name__

        with ThreadPoolExecutor(max_workers=8) as pool:
            calls = [pool.submit(call, n) for n in range(8)]
            time.sleep(0.05)
            app.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            statuses = [future.result() for future in calls]
        app.process.wait(timeout=40)
        stopped_in = time.monotonic() - started
    finally:
        stop(app)

    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    grace = int(str(service["stop_grace_period"]).removesuffix("s"))
    assert all(status == 201 for status in statuses), statuses
    assert app.process.returncode == 0, app.log.read_text()[-2000:]
    assert stopped_in < grace


# -- 4. The cache down ------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    return free_port()


def test_login_and_api_work_with_the_redis_cache_down_and_health_says_so(
    render: Render, install: Callable[[Path], Path], database: str, tmp_path: Path
) -> None:
    project = install(render({"use_redis_cache": True, "worker": "celery"}))
    down = f"redis://127.0.0.1:{closed_port()}/0"
    with running_app(project, database, tmp_path, REDIS_URL=down) as app:
        env = {**app.env, "DJANGO_SUPERUSER_PASSWORD": "a-long-enough-password-9"}
        run(["python", "manage.py", "createsuperuser", "--no-input", "--username", "admin",
             "--email", "admin@example.com"], cwd=project, env=env)  # fmt: skip
        started = time.monotonic()
        login = http(
            "POST", f"{app.base}/auth/token/",
            b'{"username": "admin", "password": "a-long-enough-password-9"}',
        )  # fmt: skip
        token = {"Authorization": f"Token {json.loads(login[1])['token']}"}
        listed = http("GET", f"{app.base}/api/orders/", headers=token)
        health = http("GET", f"{app.base}/health/")
        elapsed = time.monotonic() - started

    assert login[0] == 200, login[1]
    assert listed[0] == 200
    assert json.loads(health[1]) == {"status": "degraded", "database": "ok", "cache": "unreachable"}
    assert elapsed < 10


# -- 11. Logs ---------------------------------------------------------------------------


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        with suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict):
                lines.append(record)
    return lines


def test_one_structured_line_per_request_and_security_events_by_name(
    project: Path, database: str, tmp_path: Path
) -> None:
    with running_app(project, database, tmp_path, DJANGO_LOGIN_FAILURE_LIMIT="2") as app:
        token = {"Authorization": f"Token {api_token(project, database)}"}
        listed = http("GET", f"{app.base}/api/orders/", headers=token)
        body = b'{"username": "admin", "password": "wrong"}'
        failed = http("POST", f"{app.base}/auth/token/", body)
        locked = http("POST", f"{app.base}/auth/token/", body)
        unmatched = http("GET", f"{app.base}/no/such/page/12345/")
        time.sleep(0.5)
        records = json_lines(app.log.read_text())

    requests = [r for r in records if r.get("event") == "request"]
    api = next(r for r in requests if r["route"] == "api/orders/")
    assert api["method"] == "GET"
    assert api["status"] == 200
    assert api["user_id"] is not None
    assert api["request_id"] == listed[2]["X-Request-ID"]
    assert isinstance(api["duration_ms"], float)
    failure = next(r for r in records if r.get("event") == "login_failed")
    assert failure["request_id"] == failed[2]["X-Request-ID"]
    assert failure["username"] == "admin"
    token_lines = [r for r in requests if r["request_id"] == failed[2]["X-Request-ID"]]
    assert [r["status"] for r in token_lines] == [400], "one line per request"
    lockout = next(r for r in records if r.get("event") == "login_locked_out")
    assert lockout["request_id"] == locked[2]["X-Request-ID"]
    assert (lockout["username"], lockout["client_ip"]) == ("admin", "127.0.0.1")
    line = next(r for r in requests if r["request_id"] == unmatched[2]["X-Request-ID"])
    assert line["route"] == "(unmatched)", "a fixed value, not the path clients chose"
