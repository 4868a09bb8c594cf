"""Publishing: immediate handlers after commit, durable ones through the registry table."""

import dataclasses
import logging
from functools import partial
from typing import Any

from django.db import transaction

from core.events.registry import Subscription, subscriptions_to

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event: a frozen dataclass whose fields are JSON values.

    Durable subscribers receive the event rebuilt from its JSON form, so keep fields
    to str, int, float, bool, None, lists and dicts of them.
    """

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def to_payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def publish(event: DomainEvent) -> None:
    """Hand `event` to its subscribers once the current transaction commits."""
    for subscription in subscriptions_to(type(event)):
        if subscription.durable:
            # Imported here: the registry's model needs the app registry ready, and
            # events modules are imported earlier than that.
            from core.events.delivery import record

            record(event, subscription)
        else:
            transaction.on_commit(partial(_call, subscription, event))


def _call(subscription: Subscription, event: DomainEvent) -> None:
    try:
        subscription.handler(event)
    except Exception:
        # The publisher's transaction has committed: report, do not undo it.
        logger.exception("Event handler %s failed on %s", subscription.name, event)
