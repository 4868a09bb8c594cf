"""Publishing: immediate handlers after commit, durable ones through the registry table."""

import dataclasses
import json
import logging
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Self
from uuid import UUID

from cattrs.errors import CattrsError
from cattrs.preconf.json import make_converter
from django.db import transaction
from django.utils import timezone

from modulith.events.subscriptions import Subscription, subscriptions_to
from modulith.json import JSON
from modulith.telemetry import handling_event

logger = logging.getLogger(__name__)

SUPPORTED_TYPES = (
    "str, int, float, bool, None, Decimal, UUID, enums, date, and datetime in UTC or "
    "another fixed offset; lists, tuples and dicts of them, and dataclasses of all these"
)

# cattrs' JSON preset (datetimes as ISO 8601 text, rebuilt with the standard library's
# own timezone objects, enums by value), plus Decimal and UUID as exact text.
converter = make_converter()
for exact_type in (Decimal, UUID):
    converter.register_unstructure_hook(exact_type, str)
    converter.register_structure_hook(exact_type, lambda value, cls: cls(value))


class UnpublishableEventError(TypeError):
    """The event would not reach durable subscribers as it was published."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event: a frozen dataclass of values that survive JSON.

    Durable subscribers receive the event rebuilt from its stored JSON form, field
    types included (a Decimal stays a Decimal, a datetime a datetime), so they see
    exactly what immediate subscribers see. `publish` refuses an event for which
    that would not hold; see SUPPORTED_TYPES.
    """

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = converter.unstructure(self)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, JSON]) -> Self:
        return converter.structure(payload, cls)


def checked_payload(event: DomainEvent) -> dict[str, JSON]:
    """The event's JSON form, once it is certain to rebuild the very same event."""
    try:
        payload: dict[str, JSON] = json.loads(json.dumps(event.to_payload()))
        rebuilt = type(event).from_payload(payload)
    except (CattrsError, TypeError, ValueError) as error:
        raise UnpublishableEventError(
            f"{event.type_name()} cannot be published: {error}. Field types: {SUPPORTED_TYPES}."
        ) from error
    for field in dataclasses.fields(event):
        sent, received = getattr(event, field.name), getattr(rebuilt, field.name)
        if sent != received or repr(sent) != repr(received):
            raise UnpublishableEventError(
                f"{event.type_name()}.{field.name}: {sent!r} would reach durable "
                f"subscribers as {received!r}. Field types: {SUPPORTED_TYPES}."
            )
    return payload


def publish(event: DomainEvent) -> None:
    """Hand `event` to its subscribers once the current transaction commits.

    Raises UnpublishableEventError, before anything is sent, for an event that would
    not reach durable subscribers unchanged.
    """
    payload = checked_payload(event)
    for subscription in subscriptions_to(type(event)):
        if subscription.durable:
            # Imported here: the registry's model needs the app registry ready, and
            # events modules are imported earlier than that.
            from modulith.events.delivery import record

            record(event, subscription, payload)
        else:
            transaction.on_commit(partial(_call, subscription, event, timezone.now()), robust=True)


def _call(subscription: Subscription, event: DomainEvent, published_at: datetime) -> None:
    try:
        with handling_event(subscription.handler, event, published_at):
            subscription.handler(event)
    except Exception:
        # The publisher's transaction has committed: report, do not undo it.
        logger.exception("Event handler %s failed on %s", subscription.name, event)
