"""The event machinery, with events and subscribers that exist only in these tests."""

import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone
from pytest_django import Settings

from modulith.events import DomainEvent, publish, subscriber
from modulith.events.delivery import (
    deliver,
    deliver_publications,
    prune_completed,
    resubmit_due,
    retry_delay,
)
from modulith.events.models import EventPublication
from modulith.events.publishing import UnpublishableEventError

pytestmark = pytest.mark.django_db(transaction=True)

PARIS = ZoneInfo("Europe/Paris")
received: list[tuple[str, object]] = []
failures_left = {"count": 0}


@dataclass(frozen=True, kw_only=True)
class ThingHappened(DomainEvent):
    thing_id: int


@dataclass(frozen=True, kw_only=True)
class ThingStored(DomainEvent):
    thing_id: int


@dataclass(frozen=True, kw_only=True)
class ThingPriced(DomainEvent):
    price: Decimal
    priced_at: datetime


@dataclass(frozen=True, kw_only=True)
class ThingWithAnObject(DomainEvent):
    thing: object


@subscriber(ThingHappened)
def note_immediately(event: ThingHappened) -> None:
    received.append(("immediate", event.thing_id))


@subscriber(ThingStored, durable=True)
def note_durably(event: ThingStored) -> None:
    if failures_left["count"]:
        failures_left["count"] -= 1
        raise ConnectionError("the mail server is down")
    received.append(("durable", event.thing_id))


@subscriber(ThingPriced)
def note_price_immediately(event: ThingPriced) -> None:
    received.append(("immediate", event))


@subscriber(ThingPriced, durable=True)
def note_price_durably(event: ThingPriced) -> None:
    received.append(("durable", event))


@pytest.fixture(autouse=True)
def clean_slate() -> None:
    received.clear()
    failures_left["count"] = 0


def test_subscribers_run_after_the_transaction_commits() -> None:
    with transaction.atomic():
        publish(ThingHappened(thing_id=1))
        assert received == [], "nothing may be delivered before the commit"

    assert received == [("immediate", 1)]


def publish_then_fail() -> None:
    with transaction.atomic():
        publish(ThingHappened(thing_id=2))
        publish(ThingStored(thing_id=2))
        raise RuntimeError("the order could not be placed")


def test_a_rolled_back_transaction_publishes_nothing() -> None:
    with pytest.raises(RuntimeError):
        publish_then_fail()

    assert received == []
    assert not EventPublication.objects.exists()


def test_durable_publications_are_recorded_with_the_change_and_completed() -> None:
    with transaction.atomic():
        publish(ThingStored(thing_id=3))
        assert EventPublication.objects.filter(completed_at__isnull=True).count() == 1

    publication = EventPublication.objects.get()
    assert received == [("durable", 3)]
    assert publication.completed_at is not None
    assert publication.payload == {"thing_id": 3}


def test_durable_and_immediate_subscribers_receive_the_same_values() -> None:
    event = ThingPriced(price=Decimal("12.50"), priced_at=datetime(2030, 1, 2, 3, 4, 5, 6789, UTC))

    publish(event)

    assert received == [("immediate", event), ("durable", event)]
    durable = received[1][1]
    assert isinstance(durable, ThingPriced)
    assert type(durable.price) is Decimal
    assert type(durable.priced_at) is datetime
    assert durable.priced_at.tzinfo is UTC


def test_an_event_that_cannot_round_trip_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(UnpublishableEventError, match="ThingWithAnObject cannot be published"):
        publish(ThingWithAnObject(thing=object()))
    with pytest.raises(UnpublishableEventError, match=r"ThingPriced\.price: 0\.1 would reach"):
        publish(ThingPriced(price=0.1, priced_at=timezone.now()))  # type: ignore[arg-type]
    with pytest.raises(UnpublishableEventError, match="priced_at"):  # the zone would be lost
        publish(ThingPriced(price=Decimal(1), priced_at=datetime(2030, 7, 1, tzinfo=PARIS)))

    assert received == []
    assert not EventPublication.objects.exists()


def test_a_failing_handler_is_retried_until_it_succeeds(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 0
    failures_left["count"] = 2

    publish(ThingStored(thing_id=4))  # outside a transaction: delivered at once
    publication = EventPublication.objects.get()
    assert publication.completed_at is None
    assert "the mail server is down" in publication.last_error
    retries = [resubmit_due() for _ in range(2)]

    publication.refresh_from_db()
    assert retries == [1, 1]
    assert publication.attempts == 3
    assert publication.completed_at is not None
    assert received == [("durable", 4)]


def test_a_handler_that_keeps_failing_ends_failed_until_retried(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 0
    settings.EVENTS_MAX_ATTEMPTS = 3
    failures_left["count"] = 3

    publish(ThingStored(thing_id=5))
    retries = [resubmit_due() for _ in range(3)]
    failed = EventPublication.objects.get()

    assert retries == [1, 1, 0], "no attempt after the last one"
    assert failed.failed_at is not None
    assert failed.attempts == 3

    call_command("failed_events", "--retry")

    assert EventPublication.objects.get().completed_at is not None
    assert received == [("durable", 5)]


def test_failed_publications_can_be_purged(settings: Settings) -> None:
    settings.EVENTS_MAX_ATTEMPTS = 1
    failures_left["count"] = 1
    publish(ThingStored(thing_id=6))

    call_command("failed_events", "--purge")

    assert not EventPublication.objects.exists()


def test_delivering_twice_runs_the_handler_once() -> None:
    publish(ThingStored(thing_id=7))
    publication_id = str(EventPublication.objects.get().pk)

    deliver(publication_id)

    assert received == [("durable", 7)]


def test_failures_wait_longer_each_time_up_to_the_cap(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 10
    settings.EVENTS_RETRY_MAX_SECONDS = 3600
    failures_left["count"] = 1
    publish(ThingStored(thing_id=8))

    assert resubmit_due() == 0, "the retry is not due yet"
    assert EventPublication.objects.get().attempts == 1
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert retry_delay(10_000) == timedelta(hours=1)


def test_an_unreachable_queue_fails_nothing_and_the_sweep_delivers_later(
    settings: Settings,
) -> None:
    settings.EVENTS_SWEEP_BATCH_SIZE = 200
    with mock.patch("modulith.events.delivery.enqueue", side_effect=ConnectionError("broker down")):
        with transaction.atomic():
            for thing_id in range(120):  # more than one task's worth
                publish(ThingStored(thing_id=thing_id))
        assert resubmit_due() == 0, "the sweep stops while the queue is down"

    assert not EventPublication.objects.filter(completed_at__isnull=False).exists()
    assert not EventPublication.objects.filter(enqueued_at__isnull=False).exists(), (
        "every row released for the next sweep"
    )
    assert resubmit_due() == 120
    assert len(received) == 120
    assert {thing_id for _, thing_id in received} == set(range(120))


def test_the_workers_start_fails_when_its_queue_cannot_be_reached() -> None:
    """`resubmit_events --reclaim` (the worker's start) exits non-zero, nothing lost;
    the periodic sweep carries on, by age alone."""
    with mock.patch("modulith.events.delivery.enqueue", side_effect=ConnectionError("down")):
        publish(ThingStored(thing_id=1))
    unreadable = mock.patch("modulith.events.delivery.waiting", side_effect=TimeoutError("hung"))
    unwritable = mock.patch("modulith.events.delivery.enqueue", side_effect=TimeoutError("hung"))

    with unreadable, pytest.raises(CommandError, match="cannot be read: hung"):
        call_command("resubmit_events", "--reclaim")
    with unwritable, pytest.raises(CommandError, match="cannot be written"):
        call_command("resubmit_events", "--reclaim")
    with unreadable, unwritable:
        assert resubmit_due() == 0

    assert EventPublication.objects.get().enqueued_at is None, "left for the next sweep"
    assert resubmit_due(reclaim=True) == 1
    assert received == [("durable", 1)]


def test_the_sweep_queues_each_due_publication_once(settings: Settings) -> None:
    settings.EVENTS_SWEEP_BATCH_SIZE = 2
    with mock.patch("modulith.events.delivery.enqueue") as enqueue:
        for thing_id in range(5):
            publish(ThingStored(thing_id=thing_id))
        EventPublication.objects.update(enqueued_at=None)  # as if the queue had been down
        enqueue.reset_mock()

        sweeps = [resubmit_due(), resubmit_due()]

    queued = sorted(pk for call in enqueue.call_args_list for pk in call.args[1])
    assert sweeps == [5, 0]
    assert queued == sorted(str(pk) for pk in EventPublication.objects.values_list("pk", flat=True))


def test_a_reclaim_queues_only_claims_that_are_lost(settings: Settings) -> None:
    """A worker that starts while deliveries are still queued queues none of them again."""
    settings.EVENTS_CLAIM_SECONDS = 300
    with mock.patch("modulith.events.delivery.enqueue") as enqueue:
        for thing_id in range(4):
            publish(ThingStored(thing_id=thing_id))
        assert enqueue.call_count == 4, "each publication queued once, after its commit"
        lost = EventPublication.objects.filter(payload__thing_id__in=[0, 1])
        lost.update(enqueued_at=timezone.now() - timedelta(seconds=301))
        enqueue.reset_mock()

        reclaims = [resubmit_due(reclaim=True), resubmit_due(reclaim=True), resubmit_due()]

    queued = sorted(pk for call in enqueue.call_args_list for pk in call.args[1])
    assert reclaims == [2, 0, 0]
    assert queued == sorted(str(pk) for pk in lost.values_list("pk", flat=True))


def test_deliveries_waiting_in_the_queue_are_never_queued_again(settings: Settings) -> None:
    """Reclaim at the worker's start takes over what a dead worker held, at any age;
    what still waits in the queue keeps its claim, however old."""
    settings.EVENTS_CLAIM_SECONDS = 300
    queue: list[list[str]] = []
    with (
        mock.patch("modulith.events.delivery.enqueue", lambda _, ids: queue.append(ids)),
        mock.patch("modulith.events.delivery.waiting", side_effect=lambda _: [[i] for i in queue]),
    ):
        for thing_id in range(4):
            publish(ThingStored(thing_id=thing_id))
        taken = [queue.pop(0), queue.pop(0)]  # by a worker that died with them
        EventPublication.objects.update(enqueued_at=timezone.now() - timedelta(seconds=301))
        owed = len(queue)

        counts = [resubmit_due(reclaim=True), resubmit_due(reclaim=True), resubmit_due()]

    assert counts == [2, 0, 0]
    assert queue[owed:] == [taken[0] + taken[1]], "the dead worker's two, in one task"
    assert not EventPublication.objects.filter(
        enqueued_at__lt=timezone.now() - timedelta(seconds=300)
    ).exists(), "the claims of deliveries still waiting are refreshed"


def published(count: int) -> list[str]:
    """Publish `count` events without queuing their tasks; their publications' ids,
    oldest first."""
    with mock.patch("modulith.events.delivery.enqueue"):
        for thing_id in range(count):
            publish(ThingStored(thing_id=thing_id))
    return [
        str(pk)
        for pk in EventPublication.objects.order_by("next_attempt_at").values_list("pk", flat=True)
    ]


def test_a_task_delivers_its_publications_in_one_transaction(
    django_assert_max_num_queries: Any,
) -> None:
    ids = published(50)

    # Begin, lock them all, mark them all complete, commit (one by one: 50 times that).
    with django_assert_max_num_queries(4):
        deliver_publications(ids)

    assert sorted(thing_id for _, thing_id in received) == list(range(50))
    assert set(EventPublication.objects.values_list("attempts", flat=True)) == {1}
    assert not EventPublication.objects.filter(completed_at__isnull=True).exists()


def test_a_task_takes_along_publications_whose_tasks_wait_behind_it(
    django_assert_max_num_queries: Any,
) -> None:
    """A backlog of one-publication tasks (queued as requests committed, while the worker
    was stopped) drains in batches; the tasks behind find their publications delivered."""
    ids = published(120)
    EventPublication.objects.filter(pk=ids[-1]).update(enqueued_at=None)  # the sweep's to queue
    EventPublication.objects.filter(pk=ids[-2]).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)  # a retry, not due yet
    )

    delivered = []
    for publication_id in ids[:4]:
        # Lock its own, lock others, mark them complete: one transaction.
        with django_assert_max_num_queries(5):
            deliver_publications([publication_id])
        delivered.append(len(received))

    assert delivered == [50, 100, 118, 118]
    assert set(
        EventPublication.objects.filter(completed_at__isnull=True).values_list("pk", flat=True)
    ) == {UUID(ids[-1]), UUID(ids[-2])}
    assert set(EventPublication.objects.values_list("attempts", flat=True)) == {0, 1}


def test_a_task_takes_others_along_only_for_so_long() -> None:
    """Slow handlers: past TAKE_ALONG_SECONDS a task delivers its own publication only,
    and leaves the others it locked to their own tasks."""
    first, *others = published(3)

    with mock.patch("modulith.events.delivery.TAKE_ALONG_SECONDS", 0):
        deliver_publications([first])
    left = EventPublication.objects.filter(completed_at__isnull=True)

    assert len(received) == 1
    assert sorted(str(pk) for pk in left.values_list("pk", flat=True)) == sorted(others)
    assert all(left.values_list("enqueued_at", flat=True)), "still claimed by their tasks"


def test_a_failing_handler_in_a_task_fails_its_own_publication_only() -> None:
    ids = published(3)
    failures_left["count"] = 2  # the task's transaction, then one publication's own

    deliver_publications(ids)

    assert len(received) == 2
    failed = EventPublication.objects.get(completed_at__isnull=True)
    assert (failed.attempts, failed.failed_at) == (1, None)
    assert "the mail server is down" in failed.last_error
    assert set(
        EventPublication.objects.filter(completed_at__isnull=False).values_list(
            "attempts", flat=True
        )
    ) == {1}


def test_a_failed_batch_takes_others_along_one_by_one_only_for_so_long() -> None:
    """The batch's bound holds after its failure: past TAKE_ALONG_SECONDS, one by one,
    the task delivers its own publication only and leaves the others to their tasks."""
    first, *others = published(3)
    failures_left["count"] = 1  # the batch fails: its own handler, first

    with mock.patch("modulith.events.delivery.TAKE_ALONG_SECONDS", 0):
        deliver_publications([first])
    left = EventPublication.objects.filter(completed_at__isnull=True)

    assert len(received) == 1
    assert sorted(str(pk) for pk in left.values_list("pk", flat=True)) == sorted(others)
    assert set(left.values_list("attempts", flat=True)) == {0}, "not attempted"
    assert all(left.values_list("enqueued_at", flat=True)), "still claimed by their tasks"


def test_old_completed_publications_are_pruned(settings: Settings) -> None:
    settings.EVENTS_KEEP_COMPLETED_DAYS = 7
    publish(ThingStored(thing_id=10))
    publish(ThingStored(thing_id=11))
    EventPublication.objects.filter(payload__thing_id=10).update(
        completed_at=timezone.now() - timedelta(days=8)
    )

    assert prune_completed() == 1
    assert list(EventPublication.objects.values_list("payload", flat=True)) == [{"thing_id": 11}]


# PostgreSQL: row locks keep two workers off the same publication.

ON_POSTGRESQL = connection.vendor == "postgresql"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="row locks need PostgreSQL: see the next test")
def test_rows_locked_by_one_worker_are_skipped_by_another(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 0
    with mock.patch("modulith.events.delivery.enqueue"):
        for thing_id in range(3):
            publish(ThingStored(thing_id=thing_id))
    EventPublication.objects.update(enqueued_at=None)
    locked, release = threading.Event(), threading.Event()

    def hold_the_rows() -> None:
        with transaction.atomic():
            list(EventPublication.objects.select_for_update())
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_the_rows)
    holder.start()
    try:
        assert locked.wait(10)
        assert resubmit_due() == 0, "every due row is held elsewhere"
        deliver(str(EventPublication.objects.first().pk))  # type: ignore[union-attr]
        assert received == [], "a row being delivered elsewhere is left alone"
    finally:
        release.set()
        holder.join()

    assert resubmit_due() == 3
    assert sorted(thing_id for _, thing_id in received) == [0, 1, 2]


@dataclass(frozen=True, kw_only=True)
class ThingLost(DomainEvent):
    thing_id: int


connections_to_lose = {"count": 0}


@subscriber(ThingLost, durable=True)
def lose_the_connection_once(event: ThingLost) -> None:
    if connections_to_lose["count"]:
        connections_to_lose["count"] -= 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    received.append(("lost", event.thing_id))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a terminated backend: see the last test")
def test_a_task_whose_connection_is_lost_delivers_one_by_one_on_a_new_one() -> None:
    with mock.patch("modulith.events.delivery.enqueue"):
        for thing_id in range(3):
            publish(ThingLost(thing_id=thing_id))
    ids = [str(pk) for pk in EventPublication.objects.values_list("pk", flat=True)]
    connections_to_lose["count"] = 1

    deliver_publications(ids)

    assert sorted(thing_id for _, thing_id in received) == [0, 1, 2]
    assert set(EventPublication.objects.values_list("attempts", flat=True)) == {1}
    assert not EventPublication.objects.filter(completed_at__isnull=True).exists()


@dataclass(frozen=True, kw_only=True)
class ThingCut(DomainEvent):
    thing_id: int


@subscriber(ThingCut, durable=True)
def lose_the_connection_and_fail(event: ThingCut) -> None:
    """Fails by losing its connection: the failure's transaction goes with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "failed (attempt" in r.getMessage()]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a terminated backend: see the last test")
def test_a_failure_is_logged_once_as_counted_when_its_transaction_is_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed attempt whose transaction the connection takes with it is counted, and
    logged, once: on the new connection, not also before it was lost."""
    with mock.patch("modulith.events.delivery.enqueue"):
        publish(ThingCut(thing_id=1))
    publication = EventPublication.objects.get()

    with caplog.at_level(logging.INFO, logger="modulith.events.delivery"):
        deliver_publications([str(publication.pk)])

    publication.refresh_from_db()
    assert publication.attempts == 1
    assert len(failure_lines(caplog)) == 1, failure_lines(caplog)


def test_a_failure_is_logged_only_once_its_attempt_is_committed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The save that counts a failed attempt is lost (the connection went at commit):
    no line says that attempt until the attempt counted on a new connection is saved."""
    failures_left["count"] = 5
    with mock.patch("modulith.events.delivery.enqueue"):
        publish(ThingStored(thing_id=9))
    publication = EventPublication.objects.get()
    save = EventPublication.save
    lost = {"count": 1}

    def save_once_lost(self: EventPublication, *args: Any, **kwargs: Any) -> None:
        if lost["count"]:
            lost["count"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        save(self, *args, **kwargs)

    with (
        caplog.at_level(logging.INFO, logger="modulith.events.delivery"),
        mock.patch.object(EventPublication, "save", save_once_lost),
    ):
        deliver_publications([str(publication.pk)])

    publication.refresh_from_db()
    assert publication.attempts == 1
    assert failure_lines(caplog) == [
        f"Delivery {publication.pk} to {publication.subscriber} failed (attempt 1), "
        f"retrying at {publication.next_attempt_at}"
    ]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL's plans: see the next test")
def test_django_q2_polls_its_queue_by_an_index() -> None:
    """The broker's poll and counts read a long queue by index, not by a scan of it."""
    from django_q.brokers.orm import ORM
    from django_q.models import OrmQ

    soon = timezone.now() + timedelta(minutes=5)
    OrmQ.objects.bulk_create(
        OrmQ(key="other" if n % 2 else "cluster", payload="x" * 200, lock=soon)
        for n in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_q_ormq")
    broker = ORM(list_key="cluster")
    queue = broker.get_connection()
    polls = {
        "dequeue": queue.filter(key="cluster", lock__lt=timezone.now())[:1],
        "queue_size": queue.filter(key="cluster", lock__lte=timezone.now()),
        "lock_size": queue.filter(key="cluster", lock__gt=soon),
    }

    plans = {name: query.explain() for name, query in polls.items()}

    for name, plan in plans.items():
        assert "modulith_django_q_ormq_key_lock" in plan, f"{name}: {plan}"
        assert "Seq Scan" not in plan, f"{name}: {plan}"


@pytest.mark.skipif(ON_POSTGRESQL, reason="this is the PostgreSQL run")
def test_the_event_machinery_holds_on_postgresql() -> None:
    """This module again, on a fresh database of the PostgreSQL server."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    env = {**os.environ, "MODULITH_TEST_DATABASE": POSTGRES_ADMIN_URL}
    env.pop("PYTEST_XDIST_WORKER", None)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-n0", "-q", "-p", "no:cacheprovider"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert " failed" not in result.stdout
    assert "1 skipped" in result.stdout, "only this test is skipped there"
