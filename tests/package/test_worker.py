"""The worker runs the project's own tasks, and nothing else a message may name."""

from unittest import mock

import pytest
from pytest_django import Settings

from apps.orders import tasks
from modulith import worker
from modulith.events.delivery import deliver_publications
from modulith.worker import adapter, enqueue, resolve_task, run, task_path
from modulith.worker import celery as celery_adapter
from modulith.worker import django_q as django_q_adapter
from modulith.worker import inline as inline_adapter


def test_the_worker_resolves_only_the_projects_tasks() -> None:
    assert resolve_task("modulith.events.delivery.deliver_publications") is deliver_publications
    assert resolve_task("apps.orders.tasks.archive_order") is tasks.archive_order


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("os.system", "not in a domain's tasks module"),
        ("subprocess.run", "not in a domain's tasks module"),
        ("builtins.eval", "not in a domain's tasks module"),
        ("modulith.events.delivery.sweep", "event delivery's only task is deliver_publications"),
        ("apps.orders.services.place_order", "a domain's services, not its tasks"),
        ("apps.orders.tasks.enqueue", "imported into the tasks module, not defined there"),
        ("apps.orders.tasks.DONE", "not a function"),
        ("apps.orders.tasks.missing", "no such function"),
        ("apps.legacy.tasks.run", "not a domain"),
        ("elsewhere.apps.orders.tasks.archive_order", "outside apps/"),
    ],
)
def test_any_other_path_is_refused(path: str, why: str) -> None:
    assert resolve_task(path) is None, why


def test_enqueueing_any_other_function_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a task"):
        task_path(print)
    with pytest.raises(ValueError, match="is not a task"):
        enqueue(worker.enqueue)


def test_the_worker_side_refuses_what_it_cannot_resolve() -> None:
    with pytest.raises(LookupError, match=r"refusing to run os\.system"):
        run("os.system", "true")


@pytest.mark.django_db
def test_without_a_worker_the_task_runs_at_once(settings: Settings) -> None:
    settings.MODULITH_WORKER = "none"
    tasks.DONE.clear()

    enqueue(tasks.archive_order, 7)

    assert adapter() is inline_adapter
    assert tasks.DONE == [7]


@pytest.mark.parametrize(
    ("name", "module"),
    [("django-q2", django_q_adapter), ("celery", celery_adapter), ("none", inline_adapter)],
)
def test_the_setting_picks_the_adapter(settings: Settings, name: str, module: object) -> None:
    settings.MODULITH_WORKER = name

    assert adapter() is module


def test_an_unknown_worker_is_refused(settings: Settings) -> None:
    settings.MODULITH_WORKER = "rq"

    with pytest.raises(LookupError, match="MODULITH_WORKER is 'rq': use one of"):
        enqueue(tasks.archive_order, 1)


def test_django_q2_queues_the_worker_entry_point(settings: Settings) -> None:
    settings.MODULITH_WORKER = "django-q2"
    with mock.patch.object(django_q_adapter, "async_task") as async_task:
        enqueue(tasks.archive_order, 3)

    async_task.assert_called_once_with("modulith.worker.run", "apps.orders.tasks.archive_order", 3)


def test_celery_queues_the_worker_entry_point(settings: Settings) -> None:
    settings.MODULITH_WORKER = "celery"
    with mock.patch.object(celery_adapter.run, "delay") as delay:
        enqueue(tasks.archive_order, 4)

    delay.assert_called_once_with("apps.orders.tasks.archive_order", 4)


def test_a_celery_pool_process_waits_briefly_for_its_last_result_to_be_read() -> None:
    """Billiard's process, on its way out, waits for the worker to read its last
    result: the Celery worker's start bounds that wait, which a warm shutdown can
    otherwise spend whole (a result the worker no longer waits for is never read)."""
    from billiard import pool
    from celery.signals import worker_init

    waited: list[float] = []
    nothing_read = mock.Mock(value=0)
    limit = pool.GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT
    with (
        mock.patch.object(pool, "GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT", limit),
        mock.patch.object(pool.time, "sleep", waited.append),
    ):
        worker_init.send(sender=None)
        consumed = pool.Worker._ensure_messages_consumed(
            mock.Mock(on_ready_counter=nothing_read), completed=1
        )

    assert consumed is False
    assert sum(waited) == pytest.approx(celery_adapter.POOL_EXIT_WAIT_SECONDS), "then exits"


@pytest.mark.django_db
def test_the_django_q2_schedule_sweeps_events_every_minute() -> None:
    from django_q.models import Schedule

    django_q_adapter.schedule_event_sweep()
    django_q_adapter.schedule_event_sweep()

    (schedule,) = Schedule.objects.all()
    assert (schedule.func, schedule.minutes, schedule.repeats) == (
        "modulith.events.delivery.sweep",
        1,
        -1,
    )


@pytest.mark.django_db
def test_django_q2_lists_the_deliveries_that_wait_untaken(settings: Settings) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    settings.MODULITH_WORKER = "django-q2"
    delivery = "modulith.events.delivery.deliver_publications"

    def queued(args: list[object], lock: timedelta) -> None:
        task = {"id": str(len(args)), "func": "modulith.worker.run", "args": tuple(args)}
        payload = SignedPackage.dumps(task)
        OrmQ.objects.create(key="package-tests", payload=payload, lock=timezone.now() + lock)

    queued([delivery, ["a", "b"]], timedelta(seconds=-1))
    queued([delivery, ["c"]], timedelta(minutes=5))  # taken by a worker: locked
    queued(["apps.orders.tasks.archive_order", 3], timedelta(seconds=-1))

    assert worker.waiting(deliver_publications) == [[["a", "b"]]]
    assert worker.waiting(tasks.archive_order) == [[3]]


def test_an_adapter_that_cannot_read_its_queue_says_so(settings: Settings) -> None:
    settings.MODULITH_WORKER = "none"
    assert worker.waiting(deliver_publications) is None
