"""The CI pipeline's own commands and the compose start-up, run for real on this machine.

There is no Docker engine here: PostgreSQL and Redis of this machine stand in for the
service containers, and the commands the pipeline and compose file name are run in
the generated project, in order, with the environment they declare.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
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
    tool,
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


def run_ci_commands(steps: list[Step], project: Path, env: dict[str, str]) -> str:
    """Run each step in order as the CI runner would; return what they printed."""
    printed = []
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
        printed.append(result.stdout + result.stderr)
    return "\n".join(printed)


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

    run_ci_commands(commands, project, env)

    print(f"Not run here (they set up the runner or need a Docker engine): {skipped}")
    assert skipped == [
        "actions/checkout@v5",
        "astral-sh/setup-uv@v7",
        "Keep the boundary check's state between runs",
        "Keep the coverage report",
        "docker/setup-buildx-action@v3",
        "Build the image",
    ]
    assert [name for name, _, _ in commands] == [
        "Install dependencies",
        "No conflict markers or rejected hunks",
        "Lint",
        "Domain boundaries",
        "Architecture map is up to date",
        "Type check",
        "Migrations match the models",
        "Tests (of the domains a pull request reaches; all on main)",
        "Deployment checks with production settings",
    ]


def test_gitlab_check_job_passes(
    render: Render, install: Callable[[Path], Path], postgres_database: str, tmp_path: Path
) -> None:
    """The check job runs what the GitHub workflow runs, which the test above runs on a
    project that differs only in its CI files; here run the commands that differ: on a
    merge request, only the tests of the domains it reaches, and the deployment check."""
    installed = install(render(SCENARIOS["gitlab-ci"]))
    project = writable_copy(installed, tmp_path / "project")
    job = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["check"]
    github = yaml.safe_load((render({}) / ".github/workflows/ci.yml").read_text())
    run_by_github = {step["run"] for step in github["jobs"]["ci"]["steps"] if "run" in step}
    commit = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", "commit", "-qam"]
    run(["git", "add", "--all"], cwd=committed(project))
    run([*commit, "Main"], cwd=project)
    base = run(["git", "rev-parse", "HEAD"], cwd=project).stdout.strip()
    with (project / "apps" / "payments" / "services.py").open("a") as services:
        services.write("# A merge request's change.\n")
    run([*commit, "A merge request"], cwd=project)
    env = project_env(**{**job["variables"], "DATABASE_URL": postgres_database})
    env.pop("UV_CACHE_DIR")  # the job caches uv's downloads in the checkout; not here
    env["CI_MERGE_REQUEST_DIFF_BASE_SHA"] = base

    commands = [(c, c, {}) for c in job["script"] if c not in run_by_github]

    assert len(job["script"]) == 9
    assert len(commands) == 2
    assert "modulith.architecture.affected" in commands[0][1]
    assert "check --deploy" in commands[1][1]
    output = run_ci_commands(commands, project, env)
    assert "Running the tests of 1 of 4 domains:\n  payments  changed: " in output, output


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


PRODUCTION_HOST = "shop.example.com"
# What the TLS proxy in front adds; gunicorn trusts it from 127.0.0.1 (gunicorn.conf.py).
PROXY_HEADERS = {"Host": PRODUCTION_HOST, "X-Forwarded-Proto": "https"}


def http(
    method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """A request to the app as the TLS proxy in front passes it on."""
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in {**PROXY_HEADERS, **(headers or {})}.items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@dataclass(frozen=True)
class App:
    """The app as compose runs it: its address, project, database and an API token."""

    base: str
    project: Path
    database: str
    token: dict[str, str]


@pytest.fixture(scope="module")
def compose_app(
    render: Render,
    install: Callable[[Path], Path],
    module_postgres_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[App]:
    """The `app` service started as compose starts it, against this machine's PostgreSQL,
    shared by this module's HTTP tests; it must stop cleanly on SIGTERM afterwards."""
    project = install(render({}))
    database = module_postgres_database
    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    port = free_port()
    # What .env provides in production: the real host, HTTPS redirects on.
    user_env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "true",
    }
    declared = {name: str(value) for name, value in service["environment"].items()}
    env = project_env(
        # What the Dockerfile sets for every container of the image:
        DJANGO_SETTINGS_MODULE="config.settings.production",
        PATH=f"{project / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        **{name: compose_value(value, user_env) for name, value in declared.items()},
    )
    env.update(DATABASE_URL=database, PORT=str(port))
    # The image collects static files at build time.
    run(["python", "manage.py", "collectstatic", "--no-input"], cwd=project, env=env)

    log = tmp_path_factory.mktemp("app") / "app.log"  # not a pipe: a full one stalls gunicorn
    process = subprocess.Popen(
        service["command"], cwd=project, env=env, stdout=log.open("w"),
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
        assert process.poll() is None, log.read_text()
        yield App(
            base, project, database, {"Authorization": f"Token {api_token(project, database)}"}
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert process.returncode == 0, f"gunicorn must stop cleanly on SIGTERM:\n{log.read_text()}"


def api_token(project: Path, database: str) -> str:
    """A superuser's API token, created with the project's own commands."""
    env = production_env(
        DATABASE_URL=database,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=secrets.token_urlsafe(16),
    )
    manage = ["uv", "run", "python", "manage.py"]
    run([*manage, "createsuperuser", "--no-input"], cwd=project, env=env)
    return run([*manage, "drf_create_token", "admin"], cwd=project, env=env).stdout.split()[2]


def test_app_serves_the_api_when_started_like_compose(compose_app: App) -> None:
    base, token = compose_app.base, compose_app.token

    health = http("GET", f"{base}/health/")
    created = http("POST", f"{base}/api/orders/", b'{"name": "First order"}', token)
    listed = http("GET", f"{base}/api/orders/", headers=token)

    assert health == (200, b'{"status": "ok", "database": "ok"}')
    assert created[0] == 201
    assert b'"name":"First order"' in created[1]
    assert listed[0] == 200
    assert json.loads(listed[1])["results"][0]["name"] == "First order", "newest first"


def test_compose_healthcheck_passes_with_the_production_host(compose_app: App) -> None:
    """The app runs with DJANGO_ALLOWED_HOSTS set to its real host name, HTTPS
    redirects on, and the healthcheck still calls 127.0.0.1 over plain HTTP."""
    project = compose_app.project
    service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["app"]
    command = service["healthcheck"]["test"]
    assert command[0] == "CMD"
    env = production_env(
        PORT=compose_app.base.rsplit(":", 1)[1],
        PATH=f"{project / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    )

    result = run(command[1:], cwd=project, env=env, check=False)

    assert result.returncode == 0, f"the healthcheck failed:\n{result.stderr}"


def domains_with_an_api(project: Path) -> list[str]:
    return sorted(path.parent.parent.name for path in project.glob("apps/*/api/urls.py"))


def test_the_api_keeps_its_schema(compose_app: App, tmp_path: Path) -> None:
    """schemathesis, with every check it has, against every operation of the schema the
    app serves, configured by the project's own schemathesis.toml."""
    base, project = compose_app.base, compose_app.project
    headers = {**PROXY_HEADERS, **compose_app.token}
    status, schema = http("GET", f"{base}/api-schema/?format=json", headers=headers)
    assert status == 200
    (tmp_path / "schema.json").write_bytes(schema)
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for path in json.loads(schema)["paths"].values()
        for method in path
    )

    result = run(
        [
            tool("schemathesis"), "--config-file", str(project / "schemathesis.toml"),
            "run", "schema.json", "--url", base,
            *(arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")),
            "--checks", "all",
            "--max-examples", "10",
            "--seed", "1",
            "--no-color",
        ],
        cwd=tmp_path, env=project_env(), check=False, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-5000:]
    assert f"Selected: {operations}/{operations}" in result.stdout, "every operation"
    assert operations > 2 * len(domains_with_an_api(project)), "the domains' and the rest"


def timed(url: str, headers: Mapping[str, str]) -> tuple[float, int, str | None]:
    """Seconds a GET took, its status and its WWW-Authenticate header."""
    request = urllib.request.Request(url, headers={**PROXY_HEADERS, **headers})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            status, challenge = response.status, response.headers["WWW-Authenticate"]
    except urllib.error.HTTPError as error:
        status, challenge = error.code, error.headers["WWW-Authenticate"]
    return time.perf_counter() - started, status, challenge


def test_bad_credentials_are_refused_at_the_cost_of_a_health_check(compose_app: App) -> None:
    """401 with WWW-Authenticate, and no password hashing: a client sending wrong
    credentials costs what /health/ costs, however many it sends."""
    base = compose_app.base
    refused = {
        "no credentials": {},
        "an unknown token": {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"},
        "a password (Basic)": {"Authorization": "Basic " + b64encode(b"admin:guess").decode()},
        "a forged session": {"Cookie": "sessionid=forged"},
    }
    timings: dict[str, list[float]] = {"health": [], **{name: [] for name in refused}}
    answers = set()
    for _ in range(15):  # interleaved, so that load on the machine hits all alike
        timings["health"].append(timed(f"{base}/health/", {})[0])
        for name, headers in refused.items():
            seconds, status, challenge = timed(f"{base}/api/orders/", headers)
            timings[name].append(seconds)
            answers.add((name, status, challenge))

    medians = {name: statistics.median(values) for name, values in timings.items()}
    print({name: f"{seconds * 1000:.1f} ms" for name, seconds in medians.items()})
    assert answers == {(name, 401, "Token") for name in refused}
    for name in refused:
        assert medians[name] < 5 * medians["health"], f"{name} costs far more than /health/"


def dockerignore_regex(project: Path) -> re.Pattern[str]:
    """The paths .dockerignore leaves out of the build context, as one regex
    (Docker's syntax: `*` within a name, `**/` any depth, a directory with its files)."""
    patterns = []
    for line in (project / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        assert not pattern.startswith("!"), "exceptions are not handled here"
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        patterns.append(regex.replace(r"\[", "[").replace(r"\]", "]"))
    return re.compile(rf"({'|'.join(patterns)})(/.*)?")


IMPORT_EVERY_MODULE = """
import importlib, pathlib, django
django.setup()
for path in sorted(pathlib.Path().rglob("*.py")):
    skipped = {".venv", "template-package"}  # the package is imported as `modulith`
    if not skipped & set(path.parts) and path.parent != pathlib.Path():
        importlib.import_module(".".join(path.with_suffix("").parts).removesuffix(".__init__"))
"""


def test_what_the_image_ships_runs_without_dev_dependencies(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    """The image's files (the build context less .dockerignore) with the image's
    environment (`uv sync --no-dev`): every module imports, and the commands run."""
    project = install(render({}))
    left_out = dockerignore_regex(project)
    image = tmp_path / "image"
    for path in project.rglob("*"):
        relative = path.relative_to(project).as_posix()
        if path.is_file() and not left_out.fullmatch(relative):
            (image / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, image / relative)
    venv = tmp_path / "venv"
    run([tool("uv"), "sync", "--locked", "--no-dev"], cwd=image,
        env=project_env(UV_PROJECT_ENVIRONMENT=str(venv)))  # fmt: skip
    python = str(venv / "bin" / "python")
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert not (image / "conftest.py").exists()
    run([python, "-c", IMPORT_EVERY_MODULE], cwd=image, env=env)
    run([python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=image, env=env)
    commands = run([python, "manage.py", "help", "--commands"], cwd=image, env=env).stdout.split()
    assert "failed_events" in commands
    # The boundary check reads the source with the standard library: it runs anywhere.
    run([python, "manage.py", "check_boundaries"], cwd=image, env=env)


@pytest.mark.parametrize("scenario", ["defaults", "celery", "redis-cache"])
def test_deptry_finds_every_dependency_declared_and_used(
    render: Render, install: Callable[[Path], Path], scenario: str
) -> None:
    project = install(render(SCENARIOS[scenario]))

    result = run(["uv", "run", "deptry", "."], cwd=project, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
