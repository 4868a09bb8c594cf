"""Per-domain telemetry: OpenTelemetry spans and metrics attributed to domains.

Off unless an `OTEL_*` environment variable is set (`modulith.telemetry.setup`); then
the SDK is configured from those variables, the maintained Django, psycopg, SQLite,
logging and Celery instrumentations are turned on, and:

- the request span carries `modulith.domain`, the domain owning the route;
- each crossing (`modulith.calls`) is a span `<callee>.<function>` with
  `modulith.caller.domain`, `modulith.callee.domain` and `code.function`;
- every span started while a domain's code runs (database queries included) carries
  that `modulith.domain`;
- a task is a span `task <path>`, an event handler a span `handle <event>` with its
  domain, `modulith.event` and `modulith.event.publisher.domain`;
- metrics: `modulith.request.duration` by domain, `modulith.service.calls` by
  (caller, callee, function), `modulith.task.duration`, `modulith.handler.duration`
  and `modulith.event.delivery_lag` (publication to handling), in seconds.

`manage.py extraction_report --telemetry` reads these attribute names back.
"""

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from opentelemetry.metrics import Counter, Histogram
from opentelemetry.trace import Tracer

from modulith.calls import ServiceCall, in_domain, owner_of

DOMAIN = "modulith.domain"
CALLER = "modulith.caller.domain"
CALLEE = "modulith.callee.domain"
FUNCTION = "code.function"
EVENT = "modulith.event"
PUBLISHER = "modulith.event.publisher.domain"
SCOPE = "modulith"


@dataclass(frozen=True)
class Instruments:
    """The tracer and metric instruments of an installed telemetry."""

    tracer: Tracer
    request_duration: Histogram
    service_calls: Counter
    task_duration: Histogram
    handler_duration: Histogram
    delivery_lag: Histogram

    def trace_call(self, call: ServiceCall, proceed: Callable[[], Any]) -> Any:
        """The layer of `modulith.calls`: a span per crossing, and its count."""
        attributes = {CALLER: call.caller, CALLEE: call.callee, FUNCTION: call.name}
        self.service_calls.add(1, attributes)
        with self.tracer.start_as_current_span(f"{call.callee}.{call.name}", attributes=attributes):
            return proceed()


def requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for telemetry: any OTEL_ variable, unless disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(name.startswith("OTEL_") and value for name, value in environ.items())


# Set by modulith.telemetry.setup.install; None while telemetry is off.
active: Instruments | None = None


def mark_request(domain: str) -> None:
    """Name the domain owning the request's route on its span."""
    if active is not None:
        from opentelemetry import trace

        trace.get_current_span().set_attribute(DOMAIN, domain)


def record_request(domain: str | None, seconds: float) -> None:
    if active is not None and domain is not None:
        active.request_duration.record(seconds, {DOMAIN: domain})


@contextmanager
def running_task(path: str) -> Iterator[None]:
    """Run a task as code of the domain defining it, in a span when telemetry is on."""
    domain = owner_of(path)
    with in_domain(domain):
        if active is None:
            yield
            return
        attributes = {FUNCTION: path} | ({DOMAIN: domain} if domain else {})
        started = time.perf_counter()
        try:
            with active.tracer.start_as_current_span(f"task {path}", attributes=attributes):
                yield
        finally:
            active.task_duration.record(time.perf_counter() - started, attributes)


@contextmanager
def handling_event(
    handler: Callable[..., object], event: object, published_at: datetime
) -> Iterator[None]:
    """Run an event handler as code of its domain, in a span when telemetry is on."""
    domain = owner_of(handler.__module__)
    with in_domain(domain):
        if active is None:
            yield
            return
        event_type = type(event)
        publisher = owner_of(event_type.__module__)
        attributes = {
            EVENT: f"{publisher}.{event_type.__qualname__}",
            FUNCTION: f"{handler.__module__}.{handler.__qualname__}",
        }
        attributes |= {DOMAIN: domain} if domain else {}
        attributes |= {PUBLISHER: publisher} if publisher else {}
        active.delivery_lag.record((timezone.now() - published_at).total_seconds(), attributes)
        started = time.perf_counter()
        try:
            with active.tracer.start_as_current_span(
                f"handle {event_type.__qualname__}", attributes=attributes
            ):
                yield
        finally:
            active.handler_duration.record(time.perf_counter() - started, attributes)
