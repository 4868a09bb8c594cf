"""What per-domain telemetry costs a generated app: gunicorn on 127.0.0.1, local PostgreSQL.

Starts the same project three times, side by side, with production settings (as
benchmarks/app.py does) against one fresh database of `--rows` orders:

- unhooked: the package does not hook at all (no services wrapper, no domain
  middleware): the reference;
- off: as shipped, no OTEL_* variable set (telemetry installs nothing);
- on: OTEL_SERVICE_NAME set and exporters "none": the SDK and every instrumentation
  record spans and metrics, and nothing leaves the process;

then measures requests per second of `/health/` and of the first page of
`GET /api/orders/`, `--requests` requests from `--clients` clients per endpoint,
taking turns between the three (in a rotating order) for `--rounds` rounds, and
prints the medians and the median of each round's ratio to the reference.

    uv run python benchmarks/telemetry.py [--requests 1000] [--clients 4] [--rows 10000]
                                          [--rounds 9] [--project PATH]
"""

import argparse
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app import (  # this folder is not a package: its path, just above
    database,
    free_port,
    generate,
    healthy,
    load,
    manage,
    migrated_with_orders,
    options,
    production_env,
    request,
    running,
    wait_until,
)

# The reference: production settings with the package's hooks taken out. Settings are
# imported before any app, so the services finder is never installed.
UNHOOKED_SETTINGS = """
import modulith.calls

from config.settings.production import *  # noqa: F403

modulith.calls.install = lambda: None
MIDDLEWARE = [m for m in MIDDLEWARE if m != "modulith.middleware.DomainMiddleware"]  # noqa: F405
"""
TOKEN = """
from core.models import User
from rest_framework.authtoken.models import Token

print(Token.objects.create(user=User.objects.create_user("bench")).key)
"""
ENDPOINTS = {"GET /health/": "/health/", "GET /api/orders/ (first page)": "/api/orders/"}


@contextmanager
def server(project: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"], project, env, log):
        wait_until(lambda: healthy(base), f"gunicorn answering /health/ ({log.name})", 60)
        yield base


def main() -> None:
    parser = options(__doc__.splitlines()[0], rows=10_000, rounds=9)
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint and turn")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, database() as url:
        project = args.project or generate(Path(scratch) / "project")
        (Path(scratch) / "bench_unhooked.py").write_text(UNHOOKED_SETTINGS)
        env = production_env(project, url)
        env = {name: value for name, value in env.items() if not name.startswith("OTEL_")}
        migrated_with_orders(project, env, args.rows)
        token = "Token " + manage(project, env, "shell", "-c", TOKEN).split()[-1]
        variants = {
            "unhooked": {**env, "DJANGO_SETTINGS_MODULE": "bench_unhooked", "PYTHONPATH": scratch},
            "off": env,
            "on": {**env, "OTEL_SERVICE_NAME": "bench", "OTEL_TRACES_EXPORTER": "none"}
            | {"OTEL_METRICS_EXPORTER": "none"},
        }
        figures: dict[tuple[str, str], list[float]] = {}
        with ExitStack() as servers:
            bases = {
                name: servers.enter_context(server(project, variant, Path(scratch) / f"{name}.log"))
                for name, variant in variants.items()
            }
            names = list(bases)
            for turn in range(args.rounds):
                order = names[turn % 3 :] + names[: turn % 3]  # no variant always goes first
                for endpoint, path in ENDPOINTS.items():
                    for name in order:
                        send = partial(request, bases[name] + path, token)
                        seconds, _ = load(send, args.requests, args.clients)
                        figures.setdefault((endpoint, name), []).append(args.requests / seconds)
        report(figures, args)


def report(figures: dict[tuple[str, str], list[float]], args: argparse.Namespace) -> None:
    """Median requests/s of each variant, and the median of each round's ratio to the
    reference (rounds pair the variants in time, so a slow minute slows all three)."""
    print(f"{args.rows} orders, {args.requests} requests x {args.rounds} rounds per "
          f"endpoint and variant, {args.clients} clients; medians")  # fmt: skip
    print(f"{'endpoint':<32}{'unhooked':>10}{'off':>10}{'on':>10}"
          f"{'off/unhooked':>14}{'on/unhooked':>13}")  # fmt: skip
    for endpoint in ENDPOINTS:
        reference = figures[endpoint, "unhooked"]
        medians = [statistics.median(figures[endpoint, name]) for name in ("unhooked", "off", "on")]
        ratios = [
            statistics.median(
                a / b for a, b in zip(figures[endpoint, name], reference, strict=True)
            )
            for name in ("off", "on")
        ]
        print(f"{endpoint:<32}" + "".join(f"{median:>10.1f}" for median in medians)
              + f"{ratios[0]:>14.3f}{ratios[1]:>13.3f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
