"""The CI pipeline's own commands and the compose start-up, run for real on this machine.

There is no Docker engine here: PostgreSQL and Redis of this machine stand in for the
service containers, and the commands the pipeline and compose file name are run in
the generated project, in order, with the environment they declare.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tests.helpers import (
    SCENARIOS,
    production_env,
    project_env,
    redis_available,
    run,
    writable_copy,
)

pytestmark = pytest.mark.project

REDIS_URL = "redis://127.0.0.1:6379/15"
COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def compose_value(value: str, env: Mapping[str, str]) -> str:
    """Interpolate `${NAME}`, `${NAME:-default}` and `${NAME:?error}` as docker compose does."""

    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if env.get(name):
            return env[name]
        if operator == "?":
            raise AssertionError(f"compose would refuse to start: {argument}")
        return argument if operator == "-" else ""

    return COMPOSE_VARIABLE.sub(replace, value)


def committed(project: Path) -> Path:
    """Stage every file, as a CI checkout has them (pre-commit looks at git's files)."""
    run(["git", "init", "--quiet"], cwd=project)
    run(["git", "add", "--all"], cwd=project)
    return project


Step = tuple[str, str, Mapping[str, str]]  # name, shell command, the step's own variables


def run_ci_commands(steps: list[Step], project: Path, env: dict[str, str]) -> list[str]:
    """Run each step in order as the CI runner would; return their names."""
    for name, command, step_env in steps:
        result = run(
            ["bash", "-eo", "pipefail", "-c", command],
            cwd=project,
            env={**env, **step_env},
            check=False,
        )
        assert result.returncode == 0, (
            f"CI step '{name}' failed: {command}\n{result.stdout}\n{result.stderr}"
        )
    return [name for name, _, _ in steps]


def test_github_workflow_steps_pass_in_order(
    render: Render, install: Callable[[Path], Path], postgres_database: str
) -> None:
    project = committed(install(render({})))
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["ci"]
    commands, skipped = [], []
    for step in job["steps"]:
        if "run" not in step:
            skipped.append(step.get("name", step["uses"]))
            continue
        commands.append((step["name"], step["run"], step.get("env", {})))
    env = project_env(**{**job["env"], "DATABASE_URL": postgres_database})

    ran = run_ci_commands(commands, project, env)

    print(f"Not run here (they set up the runner or need a Docker engine): {skipped}")
    assert skipped == [
        "actions/checkout@v5",
        "astral-sh/setup-uv@v7",
        "docker/setup-buildx-action@v3",
        "Build the image",
    ]
    assert ran == [
        "Install dependencies",
        "No conflict markers or rejected hunks",
        "Lint",
        "Domain boundaries",
        "Type check",
        "Migrations match the models",
        "Tests",
        "Deployment checks with production settings",
    ]


def test_gitlab_check_job_passes(
    render: Render, install: Callable[[Path], Path], postgres_database: str
) -> None:
    project = committed(install(render(SCENARIOS["gitlab-ci"])))
    job = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["check"]
    env = project_env(**{**job["variables"], "DATABASE_URL": postgres_database})
    env.pop("UV_CACHE_DIR")  # the job caches uv's downloads in the checkout; not here

    commands = [(command.split(" ")[2], command, {}) for command in job["script"]]
    assert len(run_ci_commands(commands, project, env)) == 8


def test_redis_cache_is_used_when_chosen(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    if not redis_available():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    project = install(render(SCENARIOS["redis-cache"]))
    env = project_env(REDIS_URL=REDIS_URL, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    key = f"probe-{secrets.token_hex(4)}"

    run(["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=project, env=env)
    manage = ["uv", "run", "python", "manage.py", "shell", "-c"]
    run([*manage, f"from django.core.cache import cache; cache.set({key!r}, 'hit', 60)"],
        cwd=project, env=env)  # fmt: skip
    stored = run(
        ["uv", "run", "python", "-c",
         f"import redis; print(redis.Redis.from_url({REDIS_URL!r}).keys('*{key}'))"],
        cwd=project, env=env,
    ).stdout  # fmt: skip

    assert key in stored, "the cache must write to Redis when REDIS_URL is set"


def test_deployment_checks_pass_with_production_settings(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    project = install(render({}))
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = run(
        ["uv", "run", "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=project,
        env=env,
    )

    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    installed = install(render({}))
    project = writable_copy(installed, tmp_path / "project")
    (project / ".env").unlink()  # the generated .env holds a key: none must come from anywhere
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    python = str(installed / ".venv" / "bin" / "python")
    result = run([python, "manage.py", "check"], cwd=project, env=env, check=False)

    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http(method: str, url: str, body: bytes | None = None, auth: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", f"Basic {b64encode(auth.encode()).decode()}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture
def compose_app(
    render: Render, install: Callable[[Path], Path], postgres_database: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The `app` service started as compose starts it, against this machine's PostgreSQL."""
    project = install(render({}))
    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    port = free_port()
    user_env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}  # what .env provides
    declared = {name: str(value) for name, value in service["environment"].items()}
    env = project_env(
        # What the Dockerfile sets for every container of the image:
        DJANGO_SETTINGS_MODULE="config.settings.production",
        PATH=f"{project / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        **{name: compose_value(value, user_env) for name, value in declared.items()},
    )
    env.update(DATABASE_URL=postgres_database, PORT=str(port), GUNICORN_WORKERS="2")
    # The image collects static files at build time.
    run(["python", "manage.py", "collectstatic", "--no-input"], cwd=project, env=env)

    process = subprocess.Popen(
        service["command"], cwd=project, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if http("GET", f"{base}/health/")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
    try:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_app_serves_the_api_when_started_like_compose(
    compose_app: tuple[str, subprocess.Popen[str]],
    render: Render,
    postgres_database: str,
) -> None:
    base, process = compose_app
    project = render({})
    password = secrets.token_urlsafe(16)
    env = production_env(
        DATABASE_URL=postgres_database,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=password,
    )
    run(["uv", "run", "python", "manage.py", "createsuperuser", "--no-input"], cwd=project,
        env=env)  # fmt: skip

    health = http("GET", f"{base}/health/")
    created = http("POST", f"{base}/api/orders/", b'{"name": "First order"}', f"admin:{password}")
    listed = http("GET", f"{base}/api/orders/", auth=f"admin:{password}")
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(timeout=30)

    assert health == (200, b'{"status": "ok", "database": "ok"}')
    assert created[0] == 201
    assert b'"name":"First order"' in created[1]
    assert listed[0] == 200
    assert b'"count":1' in listed[1]
    assert exit_code == 0, "gunicorn must stop cleanly on SIGTERM"
