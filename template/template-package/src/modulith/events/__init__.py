"""Domain events: how domains react to each other without calling each other.

A domain declares its events in its public `events` module and publishes them from its
services, inside the business transaction. Another domain subscribes in its own
`handlers` module (discovered at start-up), which imports the publisher's `events`
module, so the boundary check counts the subscription as a declared dependency.

- `subscriber(EventType)`: called after the publishing transaction commits, in the same
  process; a rollback sends nothing. A failure is logged, never raised into the caller.
- `subscriber(EventType, durable=True)`: recorded as an `EventPublication` in the same
  transaction, then delivered by the background worker with retries until it succeeds,
  even across crashes. Handlers may run more than once: make them idempotent.
"""

from modulith.events.publishing import DomainEvent, publish
from modulith.events.subscriptions import subscriber

__all__ = ["DomainEvent", "publish", "subscriber"]
