"""Durable delivery: the event publication registry (one row per event and subscriber).

A row is written in the publishing transaction, so it exists exactly when the business
change does, and it is claimed for the delivery queued after the commit. Delivery runs
the handler and marks the row complete in one transaction holding the row's lock: a
worker killed half-way leaves the row incomplete, and a second delivery of a completed
row does nothing. A failed delivery is retried after a growing, capped delay; after
EVENTS_MAX_ATTEMPTS the row is marked failed and waits for a person (`manage.py
failed_events`, or the admin).

The sweep (`sweep`, run by the worker's scheduler) queues one delivery per row that is
due and not already queued, claiming rows in bounded batches, and deletes completed
rows older than EVENTS_KEEP_COMPLETED_DAYS. A queue that cannot be reached when a row
is committed or swept fails nothing: the row stays unclaimed for the next sweep.
"""

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from modulith.events.models import EventPublication
from modulith.events.publishing import DomainEvent
from modulith.events.subscriptions import Subscription, subscription_named
from modulith.json import JSON
from modulith.telemetry import handling_event
from modulith.worker import enqueue, waiting

logger = logging.getLogger(__name__)
CLOCK_SKEW_SECONDS = 5

# A backlog travels to the worker in tasks of this many publications: few enough
# tasks that queueing costs little, enough of them to keep every worker process busy.
DELIVERIES_PER_TASK = 50
# A task takes along others' publications (see `deliver_publications`) for this long.
TAKE_ALONG_SECONDS = 5


def record(event: DomainEvent, subscription: Subscription, payload: dict[str, JSON]) -> None:
    """Write the publication in the current transaction; queue its delivery after commit."""
    publication = EventPublication.objects.create(
        event_name=event.type_name(),
        payload=payload,
        subscriber=subscription.name,
        enqueued_at=timezone.now(),
    )
    transaction.on_commit(lambda: hand_to_worker([publication.pk]), robust=True)


def hand_to_worker(publication_ids: list[UUID]) -> bool:
    """Queue their delivery as one task; if the queue is unreachable, release the rows
    for the sweep."""
    try:
        enqueue(deliver_publications, [str(pk) for pk in publication_ids])
    except Exception:
        logger.exception("Could not queue event delivery; the sweep will retry")
        release(publication_ids)
        return False
    return True


def release(publication_ids: list[UUID]) -> None:
    """Drop the claim on these rows: the next sweep queues them."""
    EventPublication.objects.filter(pk__in=publication_ids).update(enqueued_at=None)


def deliver_publications(publication_ids: list[str]) -> None:
    """The worker's task: deliver these publications, with others queued and due, up to
    DELIVERIES_PER_TASK, together when every handler succeeds.

    The others are publications whose own task waits in the queue: a backlog of
    one-publication tasks (queued as requests commit, while the worker was stopped)
    drains in batches, and the tasks of publications delivered early find nothing to
    do, for the cost of a transaction. The batch is delivered in one transaction: a
    query or two lock it, its handlers run, one query marks it complete, one commit.
    Each publication's own transaction, lock and update cost more than a short handler
    does, so this is what lets a backlog drain quickly. If any handler fails (or the
    connection goes), that transaction rolls back whole, and the publications it took
    are delivered again one by one, each in its own transaction, where a failure is
    recorded against its publication alone: a handler that succeeded before the
    failure runs a second time, as a durable handler may (they are idempotent). A
    batch of one runs its handler in a savepoint of that transaction instead.

    Others' handlers start only within TAKE_ALONG_SECONDS of the task's start, in the
    batch and one by one alike: the rest are left to their own tasks.
    """
    own = [UUID(pk) for pk in publication_ids]
    taken: list[UUID] = []
    deadline = time.monotonic() + TAKE_ALONG_SECONDS
    try:
        with transaction.atomic():
            publications = take(own)
            taken = [publication.pk for publication in publications]
            if len(publications) == 1:
                attempt_locked(publications[0])
            else:
                complete_together(publications, own, deadline)  # a failure rolls it all back
    except Exception:
        logger.info("Delivering %d publications one by one", len(taken or own))
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a lost one: a new one next
        for publication_id in taken or own:
            if not left_to_its_task(publication_id, own, deadline):
                deliver(str(publication_id))


def take(publication_ids: list[UUID]) -> list[EventPublication]:
    """These publications, locked, then others queued and due, up to DELIVERIES_PER_TASK."""
    publications = list(deliverable_rows(publication_ids))
    room = DELIVERIES_PER_TASK - len(publications)
    if room > 0:
        queued = due_rows().filter(enqueued_at__isnull=False).exclude(pk__in=publication_ids)
        publications += queued[:room]
    return publications


def complete_together(
    publications: list[EventPublication], own: list[UUID], deadline: float
) -> None:
    """Run these locked publications' handlers and mark them complete; raise if any fails.

    Others' handlers start only before `deadline` (of time.monotonic()): slow handlers
    keep the task short (under the worker's task timeout, quick to stop), the rest left
    to their tasks.
    """
    now = timezone.now()
    delivered = []
    for publication in publications:
        if not left_to_its_task(publication.pk, own, deadline):
            run_handler(publication)
            delivered.append(publication)
    for publication in delivered:
        publication.attempts += 1
        publication.enqueued_at = None
        publication.completed_at = now
    EventPublication.objects.bulk_update(delivered, ["attempts", "enqueued_at", "completed_at"])


def left_to_its_task(publication_id: UUID, own: list[UUID], deadline: float) -> bool:
    """Whether a publication taken along is left to its own task: once past `deadline`
    (of time.monotonic()), a task runs only its own publications' handlers."""
    return publication_id not in own and time.monotonic() >= deadline


def deliver(publication_id: str) -> None:
    """Run one publication's handler, unless it is settled or being run elsewhere.

    A database connection lost mid-delivery (the server restarted, the backend was
    terminated) takes the delivery's transaction with it, the count of the attempt
    included: the attempt is then recorded again on a new connection, so `attempts`
    says what the log says and a handler that always loses its connection ends failed.
    """
    try:
        with transaction.atomic():
            publication = deliverable(publication_id)
            if publication is not None:
                attempt_locked(publication)
    except (OperationalError, InterfaceError) as error:
        connection.close()  # a new connection on the next query
        with transaction.atomic():
            publication = deliverable(publication_id)
            if publication is None:
                return
            publication.attempts += 1
            publication.enqueued_at = None
            record_failure(publication, error)
            publication.save()


def attempt_locked(publication: EventPublication) -> None:
    """Run a locked publication's handler, its writes in a savepoint; save the outcome."""
    publication.attempts += 1
    publication.enqueued_at = None
    try:
        with transaction.atomic():  # a failing handler's writes roll back alone
            run_handler(publication)
    except Exception as error:
        record_failure(publication, error)
    else:
        publication.completed_at = timezone.now()
    publication.save()


def deliverable(publication_id: str) -> EventPublication | None:
    """The publication, locked, if it is pending, due, and not being delivered elsewhere.

    Due: a second task for one publication (its claim taken over while the first
    was still on its way) finds a failed attempt's retry time ahead and does nothing,
    instead of spending an attempt early. CLOCK_SKEW_SECONDS spares a row just
    published by a process whose clock runs a little ahead.
    """
    return deliverable_rows([UUID(publication_id)]).first()


def deliverable_rows(publication_ids: list[UUID]) -> QuerySet[EventPublication]:
    """These publications, to be locked, that are pending, due, and not locked elsewhere."""
    return due_rows().filter(pk__in=publication_ids)


def due_rows() -> QuerySet[EventPublication]:
    """Publications to be locked, pending, due, not locked elsewhere, longest due first."""
    due = timezone.now() + timedelta(seconds=CLOCK_SKEW_SECONDS)
    return (
        EventPublication.objects.select_for_update(skip_locked=True)
        .filter(pending(), next_attempt_at__lte=due)
        .order_by("next_attempt_at")
    )


def record_failure(publication: EventPublication, error: Exception) -> None:
    """Mark the attempt failed; its log line is written once the attempt is committed.

    A transaction lost with its connection takes the attempt's count with it, and the
    attempt is recorded again on a new connection: logged at once, it would be logged
    twice, for one count.
    """
    publication.last_error = f"{type(error).__name__}: {error}"
    if publication.attempts >= settings.EVENTS_MAX_ATTEMPTS:
        publication.failed_at = timezone.now()
        message = (
            "Delivery %s to %s failed for good after %d attempts "
            "(list and retry with `manage.py failed_events`)"
        )
        args: tuple[object, ...] = (publication.pk, publication.subscriber, publication.attempts)
    else:
        publication.next_attempt_at = timezone.now() + retry_delay(publication.attempts)
        message = "Delivery %s to %s failed (attempt %d), retrying at %s"
        args = (
            publication.pk,
            publication.subscriber,
            publication.attempts,
            publication.next_attempt_at,
        )
    transaction.on_commit(partial(logger.error, message, *args, exc_info=error))


def run_handler(publication: EventPublication) -> None:
    subscription = subscription_named(publication.subscriber)
    if subscription is None:
        raise LookupError(f"no subscriber named {publication.subscriber} is registered")
    event = subscription.event_type.from_payload(publication.payload)
    with handling_event(subscription.handler, event, publication.published_at):
        subscription.handler(event)


def retry_delay(attempts: int) -> timedelta:
    """EVENTS_RETRY_SECONDS, doubling with each failed attempt, capped."""
    doublings = min(attempts - 1, 32)  # integers: no overflow, however many attempts
    seconds = min(settings.EVENTS_RETRY_SECONDS * 2**doublings, settings.EVENTS_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def pending() -> Q:
    return Q(completed_at__isnull=True, failed_at__isnull=True)


def sweep(*, reclaim: bool = False) -> int:
    """The periodic job: queue what is due, prune what is long complete."""
    queued = resubmit_due(reclaim=reclaim)
    prune_completed()
    return queued


def resubmit_due(*, reclaim: bool = False) -> int:
    """Queue one delivery per due publication that is not queued yet; return how many.

    Rows are claimed EVENTS_SWEEP_BATCH_SIZE at a time, each batch in its own short
    transaction. A claim counts as lost, and is taken over, when it is older than
    EVENTS_CLAIM_SECONDS and its delivery no longer waits in the worker's queue: a
    delivery that still waits there (a long backlog, a queue that outlived its worker)
    keeps its claim, refreshed, and is not queued a second time. `reclaim` (the
    worker's start) takes over every claim whose delivery does not wait in the queue,
    however young: the previous worker died holding it. Where the queue cannot be read
    (a broker that is not Redis), age alone decides, for `reclaim` too.
    """
    started = timezone.now()
    waiting_ids = queued_publications(reclaim=True) if reclaim else None
    lifetime = timedelta(seconds=settings.EVENTS_CLAIM_SECONDS)
    claims_before = started if waiting_ids is not None else started - lifetime
    queue_read = reclaim
    queued = 0
    while True:
        batch = claim_batch(started, claims_before)
        if not queue_read and any(claimed_at is not None for _, claimed_at in batch):
            waiting_ids, queue_read = queued_publications(), True
        claimed = [
            pk
            for pk, claimed_at in batch
            if claimed_at is None or waiting_ids is None or str(pk) not in waiting_ids
        ]
        for start in range(0, len(claimed), DELIVERIES_PER_TASK):
            task = claimed[start : start + DELIVERIES_PER_TASK]
            if not hand_to_worker(task):
                # The queue is down: the rest of the batch waits for the next sweep.
                release(claimed[start + DELIVERIES_PER_TASK :])
                if reclaim:
                    raise QueueUnreachableError("the worker's queue cannot be written")
                return queued
            queued += len(task)
        if len(batch) < settings.EVENTS_SWEEP_BATCH_SIZE:
            return queued


class QueueUnreachableError(RuntimeError):
    """The worker's queue could not be read or written at the worker's start."""


def queued_publications(*, reclaim: bool = False) -> set[str] | None:
    """The publications whose delivery waits in the worker's queue; None if unknown.

    At the worker's start (`reclaim`), a queue that cannot be read is an error: the
    worker would have nothing to take its tasks from.
    """
    try:
        tasks = waiting(deliver_publications)
    except Exception as error:
        if reclaim:
            raise QueueUnreachableError(f"the worker's queue cannot be read: {error}") from error
        logger.exception("Could not read the worker's queue; claims expire by age alone")
        return None
    if tasks is None:
        return None
    return {str(pk) for args in tasks if args and isinstance(args[0], list) for pk in args[0]}


def claim_batch(now: datetime, claims_before: datetime) -> list[tuple[UUID, datetime | None]]:
    """Claim (or re-claim) a batch of due rows; each with the time of its previous claim."""
    with transaction.atomic():
        batch = list(
            EventPublication.objects.select_for_update(skip_locked=True)
            .filter(pending(), next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=claims_before))
            .order_by("next_attempt_at")
            .values_list("pk", "enqueued_at")[: settings.EVENTS_SWEEP_BATCH_SIZE]
        )
        EventPublication.objects.filter(pk__in=[pk for pk, _ in batch]).update(
            enqueued_at=timezone.now()
        )
    return batch


def prune_completed() -> int:
    """Delete completed publications older than EVENTS_KEEP_COMPLETED_DAYS, in batches."""
    cutoff = timezone.now() - timedelta(days=settings.EVENTS_KEEP_COMPLETED_DAYS)
    deleted = 0
    while True:
        batch = list(
            EventPublication.objects.filter(completed_at__lt=cutoff).values_list("pk", flat=True)[
                : settings.EVENTS_SWEEP_BATCH_SIZE
            ]
        )
        deleted += EventPublication.objects.filter(pk__in=batch).delete()[0]
        if len(batch) < settings.EVENTS_SWEEP_BATCH_SIZE:
            return deleted


def retry_failed(publications: QuerySet[EventPublication]) -> int:
    """Give failed publications a fresh set of attempts, due now; return how many."""
    return publications.filter(failed_at__isnull=False).update(
        failed_at=None, attempts=0, next_attempt_at=timezone.now(), enqueued_at=None
    )
