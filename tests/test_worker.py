"""Real worker processes, started with the compose file's command, against this machine's
PostgreSQL (and Redis for Celery): tasks run, durable events survive a killed worker, a
backlog is queued once, a broker that was down delivers later.

Retries, failed publications and the values handlers receive are unit-tested on the
package (tests/package/test_events.py, test_worker.py).
"""

import fnmatch
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import Render
from tests.helpers import production_env, redis_available, redis_commands, run, writable_copy

pytestmark = pytest.mark.project

WORKERS = ["django-q2", "celery"]
# Redis databases other checkouts' tests may still use by number: never claimed here.
UNCLAIMED_REDIS_DATABASES = {0, 13, 15}
WAIT_SECONDS = 60


class WorkerProject:
    """A copy of an installed project, its own database, and its worker process."""

    def __init__(
        self, root: Path, venv: Path, database: str, worker: str, broker: str = ""
    ) -> None:
        self.root = root
        self.database = database
        self.markers = root / "markers"
        self.markers.mkdir()
        self.env = production_env(
            DATABASE_URL=database,
            CELERY_BROKER_URL=broker,
            EVENTS_RETRY_SECONDS="0",
            TEST_MARKERS=str(self.markers),
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        )
        compose = yaml.safe_load((root / "compose.yaml").read_text())
        self.command = compose["services"]["worker"]["command"]
        self.worker = worker
        self.process: subprocess.Popen[str] | None = None
        # Its output goes to a file: a pipe nobody reads while the test waits fills up
        # (64 kB of log lines) and blocks the worker mid-write, so it never stops.
        self.log = root.parent / f"{root.name}-worker.log"

    def flush_broker(self) -> None:
        """Empty this test's own Redis database: the broker loses every queued task."""
        redis_commands(["SELECT", self.env["CELERY_BROKER_URL"].rsplit("/", 1)[1]], ["FLUSHDB"])

    def manage(self, *args: str) -> str:
        return run(["python", "manage.py", *args], cwd=self.root, env=self.env).stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.root, env=self.env, start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip

    def stop(self) -> int:
        """Ask the worker to finish: SIGTERM to its main process, as `docker compose stop`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired as timeout:
            self.kill()
            raise AssertionError(
                f"{self.worker}: no exit 30 s after SIGTERM\n{self.output()[-5000:]}"
            ) from timeout
        self.process = None
        return code

    def kill(self) -> None:
        """Kill every worker process at once, mid-task, as a crash or OOM kill would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def output(self) -> str:
        """Everything the worker has written so far."""
        return self.log.read_text() if self.log.exists() else ""

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database) as connection:
            return connection.execute(sql).fetchall()  # type: ignore[arg-type]

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.worker}: {what} did not happen within {WAIT_SECONDS} s\n"
                             f"{self.output()}")  # fmt: skip

    def add_handler(self, code: str) -> None:
        handlers = self.root / "apps" / "inventory" / "handlers.py"
        header = "import os\nimport time\nfrom pathlib import Path\n\n"
        handlers.write_text(header + handlers.read_text() + code)


@pytest.fixture(params=WORKERS)
def project(
    request: pytest.FixtureRequest,
    render: Render,
    install: Callable[[Path], Path],
    postgres_database: str,
    tmp_path: Path,
) -> Iterator[WorkerProject]:
    worker = request.param
    with ExitStack() as stack:
        broker = ""
        if worker == "celery":
            if not redis_available():
                pytest.skip("Redis (Celery's broker) is not reachable at 127.0.0.1:6379")
            broker = f"redis://127.0.0.1:6379/{stack.enter_context(redis_database())}"
        installed = install(render({"worker": worker, "domains": ["orders", "inventory"]}))
        copy = writable_copy(installed, tmp_path / "project")
        project = WorkerProject(copy, installed / ".venv", postgres_database, worker, broker)
        project.manage("migrate", "--no-input")
        try:
            yield project
        finally:
            if project.process is not None:
                project.kill()


@contextmanager
def redis_database() -> Iterator[int]:
    """A Redis database number for one test alone, empty, flushed again afterwards.

    Test runs on this machine claim a number with `SET NX` on a key in database 0,
    which expires if a run dies; a number in use by another run is skipped.
    """
    token = uuid.uuid4().hex
    for number in range(1, 16):
        if number in UNCLAIMED_REDIS_DATABASES:
            continue
        claim = f"modulith-test-claim:{number}"
        if redis_commands(["SET", claim, token, "NX", "EX", "3600"]).startswith(b"+OK"):
            break
    else:
        pytest.skip("every Redis database is claimed by another test run")
    try:
        redis_commands(["SELECT", str(number)], ["FLUSHDB"])
        yield number
    finally:
        redis_commands(["SELECT", str(number)], ["FLUSHDB"])
        redis_commands(["DEL", claim])


def publications(project: WorkerProject, subscriber: str) -> list[tuple[object, ...]]:
    return project.query(
        "SELECT completed_at, attempts FROM modulith_events_eventpublication "
        f"WHERE subscriber LIKE '%.{subscriber}'"
    )


def test_worker_runs_a_task_enqueued_by_a_service(project: WorkerProject) -> None:
    before = {path.name for path in project.root.iterdir()}
    project.start()

    project.shell("from apps.orders import services; services.import_in_background(['a', 'b'])")
    project.wait_for(
        "the task's orders",
        lambda: project.query("SELECT count(*) FROM orders_order")[0][0] == 2,
    )
    project.shell("from apps.orders import services; services.create_order(name='c')")
    project.wait_for(
        "inventory's durable reaction to OrderCreated",
        lambda: bool(project.query("SELECT 1 FROM inventory_inventory WHERE name LIKE 'Order %'")),
    )

    assert project.stop() == 0, "the worker must stop cleanly on SIGTERM"
    assert publications(project, "on_order_created")[0][0] is not None
    # What the worker writes beside the code (Celery beat's schedule) is neither
    # committed nor copied into the image.
    written = sorted({path.name for path in project.root.iterdir()} - before)
    docker_ignored = [
        line for line in (project.root / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    check_ignore = ["git", "check-ignore", "--quiet", "--no-index"]
    assert [
        name
        for name in written
        if subprocess.run([*check_ignore, name], cwd=project.root).returncode != 0
        or not any(fnmatch.fnmatch(name, pattern) for pattern in docker_ignored)
    ] == []


READ_CONCURRENCY = {
    "django-q2": "from django.conf import settings; print(settings.Q_CLUSTER['workers'])",
    "celery": "from config.celery import app; print(app.conf.worker_concurrency)",
}


def test_each_worker_runs_as_many_tasks_at_once_as_worker_concurrency_says(
    project: WorkerProject,
) -> None:
    """WORKER_CONCURRENCY, which .env.example names for every worker."""
    project.env["WORKER_CONCURRENCY"] = "3"

    assert project.shell(READ_CONCURRENCY[project.worker]).split()[-1] == "3"


SLOW_HANDLER = """

@subscriber(OrderCreated, durable=True)
def slow_reaction(event: OrderCreated) -> None:
    markers = Path(os.environ["TEST_MARKERS"])
    (markers / "started").touch()
    while not (markers / "go").exists():
        time.sleep(0.2)
    Inventory.objects.get_or_create(name=f"slow {event.order_id}")
"""


def test_durable_event_survives_a_worker_killed_mid_delivery(project: WorkerProject) -> None:
    project.add_handler(SLOW_HANDLER)
    project.start()
    project.shell("from apps.orders import services; services.create_order(name='x')")
    project.wait_for("the slow handler to start", (project.markers / "started").exists)

    project.kill()
    owed = publications(project, "slow_reaction")
    (project.markers / "go").touch()
    project.start()  # the compose command resubmits what is owed, then starts the worker
    project.wait_for(
        "the interrupted delivery to finish",
        lambda: bool(project.query("SELECT 1 FROM inventory_inventory WHERE name LIKE 'slow %'")),
    )
    project.wait_for(
        "every publication to be complete",
        lambda: (
            not project.query(
                "SELECT 1 FROM modulith_events_eventpublication WHERE completed_at IS NULL"
            )
        ),
    )
    project.stop()

    assert owed == [(None, 0)], "the killed delivery must have been rolled back"
    assert project.query("SELECT count(*) FROM inventory_inventory WHERE name LIKE 'slow %'") == [
        (1,)
    ]


QUEUED_PUBLICATIONS = {
    # The ids in each task of django-q2's table, or Celery's messages in Redis.
    "django-q2": """
from django_q.models import OrmQ
from django_q.signing import SignedPackage
tasks = [SignedPackage.loads(task.payload)["args"][1:] for task in OrmQ.objects.all()]
""",
    "celery": """
import base64, json, os, redis
broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
messages = [json.loads(message) for message in broker.lrange("celery", 0, -1)]
tasks = [json.loads(base64.b64decode(message["body"]))[0][1:] for message in messages]
""",
}


def queued_publications(project: WorkerProject) -> list[str]:
    """The publication ids in the tasks waiting in the worker's queue."""
    code = (
        QUEUED_PUBLICATIONS[project.worker]
        + "print(json.dumps([i for (ids,) in tasks for i in ids]))"
    )
    return list(json.loads(project.shell("import json\n" + code).splitlines()[-1]))


def test_two_sweeps_over_a_backlog_queue_one_delivery_per_publication(
    project: WorkerProject,
) -> None:
    """A backlog of owed publications (the queue was down when they were committed) is
    queued once, in bounded batches, however often the sweep runs before the worker."""
    project.env["EVENTS_SWEEP_BATCH_SIZE"] = "7"
    project.shell(
        "from apps.orders import services\n"
        "for n in range(30): services.create_order(name=f'backlog {n}')\n"
        "from modulith.events.models import EventPublication\n"
        "EventPublication.objects.update(enqueued_at=None)"
    )
    if project.worker == "django-q2":
        project.query("DELETE FROM django_q_ormq RETURNING id")
    else:
        project.flush_broker()

    sweeps = [project.manage("resubmit_events").strip() for _ in range(2)]

    owed = project.query("SELECT id::text FROM modulith_events_eventpublication ORDER BY id")
    assert sweeps == ["Resubmitted 30 event publication(s).", "Resubmitted 0 event publication(s)."]
    assert sorted(queued_publications(project)) == [row[0] for row in owed]


@pytest.mark.parametrize("project", ["celery"], indirect=True)
def test_a_create_succeeds_with_the_broker_down_and_is_delivered_once_it_is_back(
    project: WorkerProject,
) -> None:
    broker_down = {**project.env, "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    created = run(
        ["python", "manage.py", "shell", "-c",
         "from apps.orders import services; print(services.create_order(name='while down').id)"],
        cwd=project.root, env=broker_down,
    )  # fmt: skip
    owed = project.query("SELECT completed_at, enqueued_at FROM modulith_events_eventpublication")

    project.start()  # the broker is back: the worker's start-up sweep queues what is owed
    project.wait_for(
        "inventory's reaction to the order created while the broker was down",
        lambda: bool(project.query("SELECT 1 FROM inventory_inventory WHERE name LIKE 'Order %'")),
    )
    project.stop()

    assert created.stdout.split()[-1].isdigit(), "the create itself succeeded"
    assert owed == [(None, None)], "pending, and released for the sweep"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe closes


CONNECTION_KILLING_HANDLER = """

@subscriber(OrderCreated, durable=True)
def loses_its_connection(event: OrderCreated) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
"""


@pytest.mark.parametrize("project", ["django-q2"], indirect=True)
def test_a_delivery_whose_connection_is_killed_records_its_attempt(
    project: WorkerProject,
) -> None:
    project.env["EVENTS_RETRY_SECONDS"] = "3600"
    project.add_handler(CONNECTION_KILLING_HANDLER)
    project.start()
    project.wait_for("the worker to run", lambda: "running" in project.output())
    project.shell("from apps.orders import services; services.create_order(name='x')")
    project.wait_for(
        "the attempt to be recorded",
        lambda: publications(project, "loses_its_connection") == [(None, 1)],
    )
    time.sleep(2)
    log = project.output()
    project.stop()

    row = project.query(
        "SELECT attempts, last_error, next_attempt_at IS NOT NULL "
        "FROM modulith_events_eventpublication WHERE subscriber LIKE '%.loses_its_connection'"
    )
    assert row[0][0] == 1
    assert "terminat" in str(row[0][1]).lower() or "connection" in str(row[0][1]).lower()
    assert row[0][2], "a retry is scheduled"
    assert log.count("failed (attempt 1)") == 1, "logged once, as counted: " + log[-3000:]


def test_the_worker_stops_well_within_its_grace_period_with_a_backlog(
    project: WorkerProject,
) -> None:
    """SIGTERM, as `docker compose stop` sends it, mid-way through a backlog of deliveries
    queued one task each: the worker finishes what it has taken and exits long before
    compose's stop_grace_period ends in SIGKILL.

    It comes once every publication is delivered (in batches), as the worker's
    processes take the tasks behind them one after another, a few milliseconds each:
    a SIGTERM as a process takes one is the case that held a Celery worker 30 s."""
    compose = yaml.safe_load((project.root / "compose.yaml").read_text())
    grace = compose["services"]["worker"]["stop_grace_period"]
    project.shell(
        "from apps.orders import services\n"
        "for n in range(400): services.create_order(name=f'backlog {n}')"
    )
    project.start()
    project.wait_for(
        "every delivery",
        lambda: project.query("SELECT count(*) FROM inventory_inventory") == [(400,)],
    )

    started = time.monotonic()
    code = project.stop()
    stopped = time.monotonic() - started

    assert grace == "30s"
    assert code == 0, project.output()[-3000:]
    assert stopped < 10, f"{stopped:.1f} s from SIGTERM to exit"


@pytest.mark.parametrize("project", ["celery"], indirect=True)
def test_a_hung_broker_holds_a_create_briefly_and_the_workers_start_fails(
    project: WorkerProject,
) -> None:
    """A broker that accepts connections and never answers: the create is answered
    within a bound, its publication kept for the sweep, and the worker's start command
    exits non-zero within a bound (compose starts it again)."""
    # Connections complete in the listen queue and are never answered.
    with socket.create_server(("127.0.0.1", 0), backlog=64) as hung:
        project.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        timed = (
            "import time\nfrom apps.orders import services\nstarted = time.monotonic()\n"
            "services.create_order(name='hung')\nprint(time.monotonic() - started)"
        )
        create_seconds = float(project.shell(timed).split()[-1])
        started = time.monotonic()
        start = subprocess.run(
            project.command, cwd=project.root, env=project.env, capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip
        start_seconds = time.monotonic() - started

    owed = project.query("SELECT completed_at, enqueued_at FROM modulith_events_eventpublication")
    assert create_seconds < 15
    assert owed == [(None, None)], "pending, and released for the sweep"
    assert start.returncode != 0
    assert "queue cannot be read" in start.stderr, start.stderr[-2000:]
    assert start_seconds < 20
