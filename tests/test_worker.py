"""Real worker processes, started with the compose file's command, against this machine's
PostgreSQL (and Redis for Celery): tasks run, durable events survive a killed worker,
failing handlers are retried.
"""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import Render
from tests.helpers import production_env, redis_available, redis_commands, run, writable_copy

pytestmark = pytest.mark.project

WORKERS = ["django-q2", "celery"]
CELERY_BROKER = "redis://127.0.0.1:6379/13"
WAIT_SECONDS = 60


class WorkerProject:
    """A copy of an installed project, its own database, and its worker process."""

    def __init__(self, root: Path, venv: Path, database: str, worker: str) -> None:
        self.root = root
        self.database = database
        self.markers = root / "markers"
        self.markers.mkdir()
        self.env = production_env(
            DATABASE_URL=database,
            CELERY_BROKER_URL=CELERY_BROKER,
            EVENTS_RETRY_SECONDS="0",
            TEST_MARKERS=str(self.markers),
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        )
        compose = yaml.safe_load((root / "compose.yaml").read_text())
        self.command = compose["services"]["worker"]["command"]
        self.worker = worker
        self.process: subprocess.Popen[str] | None = None

    def manage(self, *args: str) -> str:
        return run(["python", "manage.py", *args], cwd=self.root, env=self.env).stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=self.root, env=self.env, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def stop(self) -> int:
        """Ask the worker to finish: SIGTERM to its main process, as `docker compose stop`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.process = None
        return code

    def kill(self) -> None:
        """Kill every worker process at once, mid-task, as a crash or OOM kill would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def output(self) -> str:
        if self.process is None or self.process.stdout is None:
            return ""
        os.set_blocking(self.process.stdout.fileno(), False)
        return self.process.stdout.read() or ""

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
    if worker == "celery":
        if not redis_available():
            pytest.skip("Redis (Celery's broker) is not reachable at 127.0.0.1:6379")
        flush_celery_broker()
    installed = install(render({"worker": worker, "domains": ["orders", "inventory"]}))
    copy = writable_copy(installed, tmp_path / "project")
    project = WorkerProject(copy, installed / ".venv", postgres_database, worker)
    project.manage("migrate", "--no-input")
    yield project
    if project.process is not None:
        project.kill()
    if worker == "celery":
        flush_celery_broker()


def flush_celery_broker() -> None:
    redis_commands(["SELECT", CELERY_BROKER.rsplit("/", 1)[1]], ["FLUSHDB"])


def publications(project: WorkerProject, subscriber: str) -> list[tuple[object, ...]]:
    return project.query(
        "SELECT completed_at, attempts FROM core_eventpublication "
        f"WHERE subscriber LIKE '%.{subscriber}'"
    )


def test_worker_runs_a_task_enqueued_by_a_service(project: WorkerProject) -> None:
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
        lambda: not project.query("SELECT 1 FROM core_eventpublication WHERE completed_at IS NULL"),
    )
    project.stop()

    assert owed == [(None, 0)], "the killed delivery must have been rolled back"
    assert project.query("SELECT count(*) FROM inventory_inventory WHERE name LIKE 'slow %'") == [
        (1,)
    ]


FLAKY_HANDLER = """

@subscriber(OrderCreated, durable=True)
def flaky_reaction(event: OrderCreated) -> None:
    tries = Path(os.environ["TEST_MARKERS"]) / "tries"
    count = int(tries.read_text()) + 1 if tries.exists() else 1
    tries.write_text(str(count))
    if count <= 2:
        raise ConnectionError(f"the mail server is down (try {count})")
    Inventory.objects.get_or_create(name=f"flaky {event.order_id}")
"""


def test_failing_handler_is_retried_until_it_succeeds(project: WorkerProject) -> None:
    project.add_handler(FLAKY_HANDLER)
    project.start()
    project.shell("from apps.orders import services; services.create_order(name='y')")

    def delivered_after_resubmitting() -> bool:
        # What the worker's schedule runs every minute, run here without waiting for it.
        project.manage("resubmit_events")
        return publications(project, "flaky_reaction")[0][0] is not None

    project.wait_for("the third try to succeed", delivered_after_resubmitting)
    project.stop()

    assert publications(project, "flaky_reaction")[0][1] == 3
    assert project.query("SELECT count(*) FROM inventory_inventory WHERE name LIKE 'flaky %'") == [
        (1,)
    ]
