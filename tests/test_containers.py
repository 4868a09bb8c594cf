"""Container tier: a generated project's compose stack, run as real containers.

What a team does on day one, in a freshly generated project, for each stack below:
`docker compose up --build --wait`; the app's healthcheck turns healthy; a superuser
(`createsuperuser --no-input` in the app container) gets a token from /auth/token/;
an order is created with it through the published port; the event it publishes is
delivered (by the worker container, or in the web process without one) and the
notifications domain's handler has run; no container logged an error line; and
`docker compose down -v` leaves no container, volume or network of the project.

Stacks: `worker` has three values and `use_redis_cache` two. Three stacks cover every
value of each, and each role the redis service can have:
- django-q2 without cache: the default answers; PostgreSQL is the only service.
- celery without cache: redis as the broker only (REDIS_URL unset, the worker on db 1).
- none with cache: no worker container; events delivered in the web process, redis as
  the cache.
The pairs left out combine parts these run already: redis serving cache and broker
(celery with cache) is two databases of one server, redis as a cache beside django-q2
is the cache of the third stack beside the worker of the first, and no worker without
cache is the default stack less its worker. Each stack costs about 40 s.

Each run has its own project name (also the image's name) and a free port on
127.0.0.1 (APP_PORT), so two suites on one engine cannot collide. No registry is
used: tests/containers.py builds stand-ins for the base images once per machine. The
tier skips, with the reason, where no engine runs or can be installed (not root, no
apt-get) or no CPython build is here for the python image.
"""

import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.containers import (
    EngineUnavailable,
    Stack,
    ensure_standins,
    error_lines,
    free_port,
    start_engine,
    stop_engine,
    trim_build_cache,
)
from tests.helpers import TEMPLATE_ROOT, project_env, run, tool

pytestmark = [pytest.mark.containers, pytest.mark.project]

STACKS = {
    "q2": {"worker": "django-q2", "use_redis_cache": False},
    "celery": {"worker": "celery", "use_redis_cache": False},
    "none-cache": {"worker": "none", "use_redis_cache": True},
}
PYTHON_VERSION = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())["python_version"][
    "choices"
][0]
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "admin",
    "DJANGO_SUPERUSER_PASSWORD": "day-one-password-4711",
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
}
# What the worker logs when it has run the event's delivery task.
WORKER_RAN_TASK = {
    "django-q2": "Processed 'modulith.worker.run'",
    "celery": "Task modulith.worker.celery.run[",
}

# Printed by `manage.py shell`, after polling: every publication and notification.
DELIVERY_PROBE = """
import json, time
from modulith.events.models import EventPublication
from apps.notifications.models import Notification
deadline = time.monotonic() + 90
while True:
    rows = list(EventPublication.objects.values(
        "event_name", "subscriber", "completed_at", "failed_at", "attempts", "last_error"))
    if rows and all(r["completed_at"] or r["failed_at"] for r in rows):
        break
    if time.monotonic() > deadline:
        break
    time.sleep(0.5)
names = list(Notification.objects.values_list("name", flat=True))
print("PROBE " + json.dumps({"publications": rows, "notifications": names}, default=str))
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[dict[str, object]]:
    """A Docker Engine, and the stand-in base images; skips when neither can be had.
    Afterwards the build cache is trimmed, and an engine this tier started is stopped."""
    start = time.monotonic()
    try:
        started = start_engine()
        built = ensure_standins(PYTHON_VERSION)
    except EngineUnavailable as reason:
        pytest.skip(f"the container tier cannot run here: {reason}")
    yield {"standins_built": built, "seconds": round(time.monotonic() - start, 1)}
    trim_build_cache()
    if started:
        stop_engine()


@pytest.fixture(scope="module", params=list(STACKS), ids=list(STACKS))
def stack(
    request: pytest.FixtureRequest,
    engine: dict[str, object],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A project generated with the real Copier CLI, as a team would, for one stack."""
    answers = STACKS[request.param]
    name = f"tmpl-{uuid.uuid4().hex[:8]}-{request.param}"
    template = Path(str(request.config.getoption("template"))).resolve()
    destination = tmp_path_factory.mktemp("containers") / name
    data = [
        arg
        for key, value in {"project_slug": name, **answers}.items()
        for arg in ("--data", f"{key}={json.dumps(value) if isinstance(value, bool) else value}")
    ]
    run(
        [
            tool("copier"),
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            *data,
            str(template),
            str(destination),
        ],
        cwd=destination.parent,
        env=project_env(PYTHONWARNINGS="ignore:Dirty template changes"),
    )
    stack = Stack(project=destination, name=name, port=free_port())
    stack.state["answers"] = answers
    stack.state["key"] = request.param
    yield stack
    stack.remove_everything()
    shutil.rmtree(destination, ignore_errors=True)


def needs(stack: Stack, step: str) -> None:
    if step not in stack.state:
        pytest.skip(f"needs the earlier step that failed: {step}")


def test_up_builds_and_turns_healthy(stack: Stack) -> None:
    start = time.monotonic()
    result = stack.compose("up", "--build", "--wait", "--wait-timeout", "240", check=False)
    stack.state["up_seconds"] = round(time.monotonic() - start, 1)
    output = result.stdout + result.stderr
    if result.returncode != 0 and "docker/dockerfile" in output:
        pytest.fail(
            "The Dockerfile's `# syntax=docker/dockerfile:1` line makes BuildKit fetch its "
            "Dockerfile frontend image from Docker Hub before building, so the image cannot "
            "be built without that registry:\n" + output[-2000:]
        )
    assert result.returncode == 0, f"{output[-4000:]}\n--- logs\n{stack.logs()[-6000:]}"
    (app,) = [
        json.loads(line)
        for line in stack.compose("ps", "--format", "json", "app").stdout.splitlines()
    ]
    assert app["Health"] == "healthy", app
    stack.state["up"] = True
    stack.state["up_output"] = output


def test_up_pulls_no_image_it_builds(stack: Stack) -> None:
    """The worker runs the image `app` builds: compose must not look for it in a
    registry (where it is not, so the pull fails and prints an error)."""
    needs(stack, "up")
    pulls = [
        line
        for line in str(stack.state["up_output"]).splitlines()
        if re.match(r"\s*\w+ (Pulling|Error)", line)
    ]
    assert pulls == [], "\n".join(pulls)


def test_order_created_through_published_port(stack: Stack) -> None:
    needs(stack, "up")
    assert "Superuser created" in stack.manage("createsuperuser", "--no-input", env=SUPERUSER)
    status, body = stack.request(
        "POST",
        "/auth/token/",
        {
            "username": SUPERUSER["DJANGO_SUPERUSER_USERNAME"],
            "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"],
        },
    )
    assert status == 200, body
    token = body["token"]  # type: ignore[index]
    stack.state["token"] = token
    status, order = stack.request("POST", "/api/orders/", {"name": "First order"}, token=token)
    assert status == 201, order
    status, listed = stack.request("GET", "/api/orders/", token=token)
    assert status == 200, listed
    assert "First order" in json.dumps(listed)
    stack.state["order"] = order


def test_readme_urls_answer(stack: Stack) -> None:
    """The generated README's requests, sent to the published port: its token request
    gets a token, and every other address it shows answers the superuser's GET."""
    needs(stack, "order")
    if stack.state["key"] != next(iter(STACKS)):
        pytest.skip("the README's addresses are the same for every stack")
    readme = (stack.project / "README.md").read_text()
    token_path = re.search(r"curl -X POST https?://[^/\s]+(/\S*)", readme)
    assert token_path, "the README shows no token request"
    status, body = stack.request(
        "POST",
        token_path[1],
        {
            "username": SUPERUSER["DJANGO_SUPERUSER_USERNAME"],
            "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"],
        },
    )
    answers = {f"POST {token_path[1]}": status}
    token = body.get("token") if isinstance(body, dict) else stack.state["token"]
    shown = re.findall(r"https?://(?:shop\.example\.com|localhost:8000)(/[^\s`'\")<>]+)", readme)
    for path in sorted(set(shown) - {token_path[1]}):
        answers[f"GET {path}"] = stack.request("GET", path, token=str(token), accept="*/*")[0]
    assert set(answers.values()) == {200}, answers


def test_event_delivered(stack: Stack) -> None:
    needs(stack, "order")
    order_id = stack.state["order"]["id"]  # type: ignore[index]
    (line,) = [
        line
        for line in stack.manage("shell", "-c", DELIVERY_PROBE).splitlines()
        if line.startswith("PROBE ")
    ]
    probe = json.loads(line.removeprefix("PROBE "))
    (publication,) = probe["publications"]
    assert publication["event_name"].endswith("OrderCreated"), publication
    assert publication["subscriber"].startswith("apps.notifications."), publication
    assert publication["completed_at"], publication
    assert not publication["failed_at"], publication
    assert probe["notifications"] == [f"Order {order_id}"], probe
    worker = stack.state["answers"]["worker"]  # type: ignore[index]
    services = stack.compose("config", "--services").stdout.split()
    if worker == "none":
        assert "worker" not in services
    else:
        # Delivered by the worker container: it logged running the delivery task.
        logs = stack.compose("logs", "--no-color", "worker").stdout
        assert WORKER_RAN_TASK[worker] in logs, logs[-3000:]


def test_logs_have_no_error_line(stack: Stack) -> None:
    needs(stack, "up")
    logs = stack.logs()
    assert error_lines(logs) == [], "\n".join(error_lines(logs))


def test_down_leaves_nothing(stack: Stack) -> None:
    needs(stack, "up")
    stack.compose("down", "-v")
    assert stack.leftovers() == {"containers": [], "volumes": [], "networks": []}
