"""Durable delivery: the event publication registry (one row per event and subscriber).

A row is written in the publishing transaction, so it exists exactly when the business
change does. Delivery runs the handler and marks the row complete in one transaction
holding the row's lock: a worker killed half-way leaves the row incomplete, and a
second delivery of a completed row does nothing. Incomplete rows are resubmitted at
worker start and periodically, with growing delays after failures.
"""

import logging
from datetime import timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.events.publishing import DomainEvent
from core.events.registry import Subscription, subscription_named
from core.models import EventPublication
from core.worker import enqueue

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=1)


def record(event: DomainEvent, subscription: Subscription) -> None:
    publication = EventPublication.objects.create(
        event_name=event.type_name(), payload=event.to_payload(), subscriber=subscription.name
    )
    transaction.on_commit(partial(enqueue, deliver, str(publication.pk)))


def deliver(publication_id: str) -> None:
    """Run one publication's handler, unless it is complete or being run elsewhere."""
    with transaction.atomic():
        publication = (
            EventPublication.objects.select_for_update(skip_locked=True)
            .filter(pk=UUID(publication_id), completed_at__isnull=True)
            .first()
        )
        if publication is None:
            return
        publication.attempts += 1
        try:
            with transaction.atomic():  # a failing handler's writes roll back alone
                run_handler(publication)
        except Exception as error:
            logger.exception("Delivery %s to %s failed", publication.pk, publication.subscriber)
            publication.last_error = f"{type(error).__name__}: {error}"
            publication.next_attempt_at = timezone.now() + retry_delay(publication.attempts)
        else:
            publication.completed_at = timezone.now()
        publication.save()


def run_handler(publication: EventPublication) -> None:
    subscription = subscription_named(publication.subscriber)
    if subscription is None:
        raise LookupError(f"no subscriber named {publication.subscriber} is registered")
    subscription.handler(subscription.event_type(**publication.payload))


def retry_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=settings.EVENTS_RETRY_SECONDS)
    return min(base * (1 << (attempts - 1)), MAX_RETRY_DELAY)


def resubmit_incomplete() -> int:
    """Enqueue every incomplete publication whose next attempt is due; return how many."""
    due = list(
        EventPublication.objects.filter(
            completed_at__isnull=True, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)
    )
    for publication_id in due:
        enqueue(deliver, str(publication_id))
    return len(due)
