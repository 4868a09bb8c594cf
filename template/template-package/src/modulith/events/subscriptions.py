"""Which handlers subscribe to which event types."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from modulith.events.publishing import DomainEvent

Handler = Callable[[Any], None]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Subscription:
    event_type: type["DomainEvent"]
    handler: Handler
    durable: bool

    @property
    def name(self) -> str:
        """Stable identifier stored with durable publications."""
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


_subscriptions: dict[str, Subscription] = {}


def subscriber(event_type: type["DomainEvent"], *, durable: bool = False) -> Callable[[H], H]:
    """Register the decorated function as a handler of `event_type`."""

    def register(handler: H) -> H:
        subscription = Subscription(event_type, handler, durable)
        _subscriptions[subscription.name] = subscription
        return handler

    return register


def subscriptions_to(event_type: type["DomainEvent"]) -> list[Subscription]:
    return [s for s in _subscriptions.values() if s.event_type is event_type]


def subscription_named(name: str) -> Subscription | None:
    return _subscriptions.get(name)
