"""Turning telemetry on: from the standard `OTEL_*` environment variables, or in tests.

`configure()` runs when the `modulith` app is ready. With no `OTEL_*` variable set (or
OTEL_SDK_DISABLED=true) it does nothing at all: no provider, no instrumentation, no
wrapper beyond the domain tracking of `modulith.calls`. Otherwise it configures the
SDK as `opentelemetry-instrument` does (OpenTelemetry's distro reads every variable:
OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER, samplers, ...),
exporting over OTLP/HTTP unless the variables say otherwise, then `install()`s.
"""

import os

from django.conf import settings
from django.http import HttpRequest
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

import modulith.telemetry
from modulith.calls import add_layer, current_domain, remove_layer
from modulith.telemetry import DOMAIN, SCOPE, Instruments, requested

REQUEST_ID = "http.request.header.x-request-id"
# What the distro would choose, but over OTLP/HTTP: the exporter this package ships.
DEFAULTS = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "otlp",
    "OTEL_LOGS_EXPORTER": "none",  # log lines go to stdout, with the trace id on each
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}


class DomainSpanProcessor(SpanProcessor):
    """Puts `modulith.domain`, the domain whose code runs, on every span it starts."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        domain = current_domain.get()
        if domain is not None and DOMAIN not in (span.attributes or {}):
            span.set_attribute(DOMAIN, domain)

    def on_end(self, span: ReadableSpan) -> None:
        pass


def request_span_position() -> int:
    """Where the request's span starts in MIDDLEWARE: first, or just after the middleware
    MODULITH_TELEMETRY_AFTER names (one that answers health probes, say: OpenTelemetry's
    middleware reads the Host header, which a probe's need not match)."""
    after = getattr(settings, "MODULITH_TELEMETRY_AFTER", None)
    middleware = list(settings.MIDDLEWARE)
    return middleware.index(after) + 1 if after in middleware else 0


def link_request_id(span: Span, request: HttpRequest) -> None:
    """Put the request's id (X-Request-ID, as the project's request log sets it) on its
    span: a log line's id finds its trace."""
    request_id = request.META.get("HTTP_X_REQUEST_ID")
    if request_id and span.is_recording():
        span.set_attribute(REQUEST_ID, [str(request_id)])


def configure() -> None:
    """Turn telemetry on if the environment asks for it."""
    if not requested() or modulith.telemetry.active is not None:
        return
    from opentelemetry.distro import OpenTelemetryConfigurator

    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    OpenTelemetryConfigurator().configure()  # type: ignore[no-untyped-call]
    install()


def install(
    tracer_provider: TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> Instruments:
    """Instrument Django, the database drivers, logging and Celery, and the crossings,
    with these providers (the global ones by default)."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.logging import LoggingInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    tracer_provider = tracer_provider or trace.get_tracer_provider()  # type: ignore[assignment]
    meter_provider = meter_provider or metrics.get_meter_provider()
    if isinstance(tracer_provider, TracerProvider):
        tracer_provider.add_span_processor(DomainSpanProcessor())
    providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    DjangoInstrumentor().instrument(
        **providers, middleware_position=request_span_position(), request_hook=link_request_id
    )
    PsycopgInstrumentor().instrument(**providers)
    SQLite3Instrumentor().instrument(**providers)
    # Trace and span ids on every log record (otelTraceID, otelSpanID): the JSON lines
    # carry them; the line format is the project's own.
    LoggingInstrumentor().instrument(
        tracer_provider=tracer_provider,
        set_logging_format=False,
        inject_trace_context=True,
        enable_log_auto_instrumentation=False,
    )
    if getattr(settings, "MODULITH_WORKER", "none") == "celery":
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        CeleryInstrumentor().instrument(**providers)  # type: ignore[no-untyped-call]
    meter = meter_provider.get_meter(SCOPE)
    instruments = Instruments(
        tracer=tracer_provider.get_tracer(SCOPE),  # type: ignore[union-attr]
        request_duration=meter.create_histogram("modulith.request.duration", unit="s"),
        service_calls=meter.create_counter("modulith.service.calls", unit="{call}"),
        task_duration=meter.create_histogram("modulith.task.duration", unit="s"),
        handler_duration=meter.create_histogram("modulith.handler.duration", unit="s"),
        delivery_lag=meter.create_histogram("modulith.event.delivery_lag", unit="s"),
    )
    modulith.telemetry.active = instruments
    add_layer(instruments.trace_call, outermost=True)
    return instruments


def uninstall() -> None:
    """Undo `install` (the tests install in-memory providers, then this)."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.logging import LoggingInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    if modulith.telemetry.active is not None:
        remove_layer(modulith.telemetry.active.trace_call)
        modulith.telemetry.active = None
    for instrumentor in (
        DjangoInstrumentor(),
        PsycopgInstrumentor(),
        SQLite3Instrumentor(),
        LoggingInstrumentor(),
    ):
        instrumentor.uninstrument()
