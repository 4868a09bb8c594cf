"""Per-domain telemetry, read back from OpenTelemetry's in-memory exporter and reader.

The sample's flow: `GET checkout/` (a view of orders) places an order, whose service
reserves stock through inventory's services twice, inside `transaction.atomic`, and
publishes OrderPlaced, which billing handles durably once the transaction commits.
"""

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from apps.billing.handlers import CHARGED
from apps.inventory import services as inventory
from apps.inventory.models import Item
from apps.orders.events import OrderPlaced
from modulith import calls, telemetry
from modulith.events import subscriptions
from modulith.telemetry.setup import install, uninstall

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Collected:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> dict[tuple[tuple[str, object], ...], float]:
        """Each data point of metric `name`: its attributes -> its value (sum or count)."""
        data = self.metrics.get_metrics_data()
        assert data is not None
        found: dict[tuple[tuple[str, object], ...], float] = {}
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            value = getattr(point, "value", None)
                            key = tuple(sorted((point.attributes or {}).items()))
                            found[key] = point.count if value is None else value  # type: ignore[union-attr]
        return found


@pytest.fixture
def collected() -> Iterator[Collected]:
    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    meter_provider = MeterProvider(metric_readers=[metrics])
    CHARGED.clear()
    with override_settings(
        MIDDLEWARE=["modulith.middleware.DomainMiddleware"], ROOT_URLCONF="apps.orders.api.checkout"
    ):
        install(tracer_provider, meter_provider)
        # The test database was connected before the instrumentation, which a project's
        # connections never are (the modulith app is ready first): instrument it here.
        connection.ensure_connection()
        raw = connection.connection
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        if connection.vendor == "sqlite":
            connection.connection = SQLite3Instrumentor.instrument_connection(raw, tracer_provider)
        else:
            connection.close()  # the next query connects through the instrumented driver
        try:
            yield Collected(spans, metrics)
        finally:
            if connection.vendor == "sqlite":
                connection.connection = raw
            uninstall()
            CHARGED.clear()


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def test_a_request_into_orders_calling_inventory_is_attributed_to_both(
    collected: Collected,
) -> None:
    item = Item.objects.create(name="pen", stock=10)
    collected.spans.clear()

    response = Client().get(f"/checkout/?item={item.pk}")

    assert response.status_code == 200
    spans = collected.finished()
    (request,) = [span for span in spans if span.name.startswith("GET")]
    assert attributes(request)["modulith.domain"] == "orders"
    assert attributes(request)["http.route"] == "checkout/"
    calls_made = [span for span in spans if span.name == "inventory.reserve"]
    assert [attributes(span) for span in calls_made] == [
        {
            "modulith.caller.domain": "orders",
            "modulith.callee.domain": "inventory",
            "code.function": "reserve",
            "modulith.domain": "orders",
        }
    ] * 2
    assert {span.parent.span_id for span in calls_made if span.parent} == {request.context.span_id}
    # Within inventory, reserve calls models_stock: the same domain, no span.
    assert not [span for span in spans if "models_stock" in span.name]

    queries = [span for span in spans if "db.system" in attributes(span)]
    under_calls = {span.context.span_id for span in calls_made}
    by_domain = {
        (attributes(span).get("modulith.domain"), span.parent.span_id in under_calls)  # type: ignore[union-attr]
        for span in queries
    }
    # Inventory's queries run under its call spans, orders' (the order, the event's
    # publication row) under the request; the delivery's own queries (no domain's)
    # under its task span.
    assert by_domain == {("inventory", True), ("orders", False), (None, False)}

    (handled,) = [span for span in spans if span.name == "handle OrderPlaced"]
    assert attributes(handled) == {
        "modulith.domain": "billing",
        "modulith.event": "orders.OrderPlaced",
        "modulith.event.publisher.domain": "orders",
        "code.function": "apps.billing.handlers.charge",
    }
    (task,) = [span for span in spans if span.name.startswith("task ")]
    assert attributes(task) == {"code.function": "modulith.events.delivery.deliver_publications"}
    assert handled.parent
    assert handled.parent.span_id == task.context.span_id
    assert [response.json()["order"]] == CHARGED


def test_metrics_count_crossings_and_time_requests_tasks_handlers_and_lag(
    collected: Collected,
) -> None:
    item = Item.objects.create(name="pen", stock=10)

    Client().get(f"/checkout/?item={item.pk}")

    assert collected.points("modulith.service.calls") == {
        (
            ("code.function", "reserve"),
            ("modulith.callee.domain", "inventory"),
            ("modulith.caller.domain", "orders"),
        ): 2
    }
    assert collected.points("modulith.request.duration") == {(("modulith.domain", "orders"),): 1}
    handler = (
        ("code.function", "apps.billing.handlers.charge"),
        ("modulith.domain", "billing"),
        ("modulith.event", "orders.OrderPlaced"),
        ("modulith.event.publisher.domain", "orders"),
    )
    assert collected.points("modulith.handler.duration") == {handler: 1}
    assert collected.points("modulith.event.delivery_lag") == {handler: 1}
    assert collected.points("modulith.task.duration") == {
        (("code.function", "modulith.events.delivery.deliver_publications"),): 1
    }


def test_a_failing_call_records_its_exception_on_the_span(collected: Collected) -> None:
    with calls.in_domain("orders"), pytest.raises(TypeError):
        inventory.reserve("not", "numbers", "at all")  # type: ignore[call-arg]

    (span,) = [
        span for span in collected.finished() if "modulith.callee.domain" in attributes(span)
    ]
    assert span.name == "inventory.reserve"
    assert not span.status.is_ok
    assert [event.name for event in span.events] == ["exception"]


def test_calls_from_code_of_no_domain_or_the_same_domain_are_not_crossings(
    collected: Collected,
) -> None:
    item = Item.objects.create(name="pen", stock=1)
    collected.spans.clear()

    inventory.reserve(item.pk, 1)
    with calls.in_domain("inventory"):
        inventory.reserve(item.pk, 1)

    crossings = [
        span for span in collected.finished() if "modulith.callee.domain" in attributes(span)
    ]
    assert not crossings


def test_services_are_wrapped_however_they_are_imported() -> None:
    from apps.inventory.services import reserve

    assert reserve is inventory.reserve
    assert getattr(reserve, "__modulith_service__", None) == "inventory"
    assert reserve.__wrapped__.__module__ == "apps.inventory.services"  # type: ignore[attr-defined]


def test_log_records_carry_the_active_trace_id(
    collected: Collected, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry import trace

    assert telemetry.active is not None
    tracer = telemetry.active.tracer
    with caplog.at_level(logging.INFO), tracer.start_as_current_span("work") as span:
        logging.getLogger("test").info("inside")
    (record,) = [record for record in caplog.records if record.getMessage() == "inside"]
    assert record.otelTraceID == trace.format_trace_id(span.get_span_context().trace_id)  # type: ignore[attr-defined]


def test_with_no_otel_variable_nothing_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    assert not telemetry.requested()
    apps.get_app_config("modulith").ready()
    assert telemetry.active is None
    assert telemetry.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not telemetry.requested({"OTEL_SERVICE_NAME": "shop", "OTEL_SDK_DISABLED": "true"})


def test_the_request_id_is_put_on_the_request_span(collected: Collected) -> None:
    Client().get("/checkout/?item=1", HTTP_X_REQUEST_ID="req-12345678")

    (request,) = [span for span in collected.finished() if span.name.startswith("GET")]
    assert attributes(request)["http.request.header.x-request-id"] == ("req-12345678",)


def test_the_request_span_starts_after_the_middleware_named() -> None:
    probes = "django.middleware.common.CommonMiddleware"
    with override_settings(MIDDLEWARE=[probes, "modulith.middleware.DomainMiddleware"]):
        with override_settings(MODULITH_TELEMETRY_AFTER=probes):
            install(TracerProvider(), MeterProvider())
            try:
                assert settings.MIDDLEWARE[0] == probes
                assert "opentelemetry" in settings.MIDDLEWARE[1]
            finally:
                uninstall()
        install(TracerProvider(), MeterProvider())
        try:
            assert "opentelemetry" in settings.MIDDLEWARE[0]
        finally:
            uninstall()


def test_a_task_runs_as_its_domains_code(collected: Collected) -> None:
    from apps.orders.tasks import archive_order
    from modulith.worker import enqueue

    enqueue(archive_order, 7)

    spans = collected.finished()
    (task,) = [span for span in spans if span.name.startswith("task ")]
    assert task.name == "task apps.orders.tasks.archive_order"
    assert attributes(task) == {
        "modulith.domain": "orders",
        "code.function": "apps.orders.tasks.archive_order",
    }
    queries = [span for span in spans if "db.system" in attributes(span)]
    assert queries
    assert {attributes(span)["modulith.domain"] for span in queries} == {"orders"}
    assert collected.points("modulith.task.duration") == {
        (("code.function", "apps.orders.tasks.archive_order"), ("modulith.domain", "orders")): 1
    }


def test_an_immediate_handler_runs_as_its_domains_code_in_a_span(
    collected: Collected, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that is not durable runs in the publisher's process once its
    transaction commits: its span names its own domain and the publishing one."""
    seen: list[str | None] = []

    def receipt(event: OrderPlaced) -> None:
        seen.append(calls.current_domain.get())

    # As if billing's code defined it, at its module's top level.
    receipt.__module__, receipt.__qualname__ = "apps.billing.receipts", "receipt"
    registry = dict(subscriptions._subscriptions)
    monkeypatch.setattr(subscriptions, "_subscriptions", registry)
    subscriptions.subscriber(OrderPlaced)(receipt)
    item = Item.objects.create(name="pen", stock=10)
    collected.spans.clear()

    Client().get(f"/checkout/?item={item.pk}")

    assert seen == ["billing"]
    (handled,) = [span for span in collected.finished() if span.name == "handle OrderPlaced"
                  and attributes(span)["code.function"].endswith("receipt")]  # fmt: skip
    assert attributes(handled) == {
        "modulith.domain": "billing",
        "modulith.event": "orders.OrderPlaced",
        "modulith.event.publisher.domain": "orders",
        "code.function": "apps.billing.receipts.receipt",
    }
