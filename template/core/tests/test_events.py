"""The event machinery, with events and subscribers that exist only in these tests."""

from dataclasses import dataclass

import pytest
from django.db import transaction
from pytest_django import Settings

from core.events import DomainEvent, publish, subscriber
from core.events.delivery import deliver, resubmit_incomplete
from core.models import EventPublication

pytestmark = pytest.mark.django_db(transaction=True)

received: list[tuple[str, int]] = []
failures_left = {"count": 0}


@dataclass(frozen=True, kw_only=True)
class ThingHappened(DomainEvent):
    thing_id: int


@dataclass(frozen=True, kw_only=True)
class ThingStored(DomainEvent):
    thing_id: int


@subscriber(ThingHappened)
def note_immediately(event: ThingHappened) -> None:
    received.append(("immediate", event.thing_id))


@subscriber(ThingStored, durable=True)
def note_durably(event: ThingStored) -> None:
    if failures_left["count"]:
        failures_left["count"] -= 1
        raise ConnectionError("the mail server is down")
    received.append(("durable", event.thing_id))


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


def test_a_failing_handler_is_retried_until_it_succeeds(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 0
    failures_left["count"] = 2

    publish(ThingStored(thing_id=4))  # outside a transaction: delivered at once
    publication = EventPublication.objects.get()
    assert publication.completed_at is None
    assert "the mail server is down" in publication.last_error
    retries = [resubmit_incomplete() for _ in range(2)]

    publication.refresh_from_db()
    assert retries == [1, 1]
    assert publication.attempts == 3
    assert publication.completed_at is not None
    assert received == [("durable", 4)]


def test_delivering_twice_runs_the_handler_once() -> None:
    publish(ThingStored(thing_id=5))
    publication_id = str(EventPublication.objects.get().pk)

    deliver(publication_id)

    assert received == [("durable", 5)]


def test_failures_wait_longer_each_time(settings: Settings) -> None:
    settings.EVENTS_RETRY_SECONDS = 10
    failures_left["count"] = 1
    publish(ThingStored(thing_id=6))

    assert resubmit_incomplete() == 0, "the retry is not due yet"
    assert EventPublication.objects.get().attempts == 1
