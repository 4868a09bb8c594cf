"""The extraction report, on the sample project: orders reserves inventory's stock in a
loop inside its transaction and publishes OrderPlaced there, which billing handles."""

import ast
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from modulith.architecture.extraction import (
    Call,
    Report,
    build_report,
    read_telemetry,
    render_json,
    render_markdown,
)
from modulith.boundaries import cli, scan
from modulith.boundaries.model import Project
from tests.package.sample_project import SAMPLE, SampleProject

TELEMETRY = Path(__file__).resolve().parent / "telemetry" / "traces.json"
# The one call into inventory: orders.place_order reserves stock per unit, in its
# transaction, which publishes OrderPlaced too.
RESERVE = Call(
    "apps/orders/services.py", 11, "orders", "place_order", "inventory", "reserve",
    transactional=True, in_loop=True, same_transaction=("orders.OrderPlaced",),
)  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, settings: Settings) -> SampleProject:
    project = SampleProject(tmp_path / "project")
    settings.BASE_DIR = project.root
    return project


def report_of(root: Path, domain: str, telemetry: Path | None = None) -> Report:
    data = read_telemetry(telemetry) if telemetry else None
    return build_report(Project.read(root, use_cache=False), root, domain, data)


def test_the_call_into_inventory_is_listed_with_its_coupling() -> None:
    report = report_of(SAMPLE, "inventory")

    assert report.inbound_calls == [RESERVE]
    assert report.outbound_calls == []
    assert report.transactional == [RESERVE]
    assert report.chatty == [RESERVE]
    assert report.events_published == ["StockChanged(item_id: int)"]


def test_the_checklist_marks_what_blocks_each_step_for_inventory() -> None:
    steps = {step.name.partition(":")[0]: step for step in report_of(SAMPLE, "inventory").checklist}

    assert list(steps) == [
        "Own repository", "Calls become API calls", "Own database", "Own deployment"
    ]  # fmt: skip
    assert steps["Own repository"].ready
    assert steps["Own database"].ready
    assert steps["Calls become API calls"].blockers == [
        "apps/orders/services.py:11: orders.place_order calls inventory.reserve inside "
        "transaction.atomic; it stops being atomic with orders.OrderPlaced",
        "apps/orders/services.py:11: orders.place_order calls inventory.reserve in a loop; "
        "one network round trip per iteration: batch it",
    ]
    assert steps["Own deployment"].blockers == ["first: Calls become API calls"]


def test_orders_publishes_the_event_billing_handles_and_its_model_is_related_to() -> None:
    report = report_of(SAMPLE, "orders")

    assert report.outbound_calls == [RESERVE]
    assert report.inbound_calls == []
    assert [(c.file, c.line, c.function, c.event) for c in report.constructions] == [
        ("apps/orders/services.py", 13, "place_order", "OrderPlaced")
    ]
    assert [(h.subscriber, h.event, h.handler, h.durable) for h in report.consumers] == [
        ("billing", "OrderPlaced", "charge", True)
    ]
    assert [(r.file, r.line, r.source, r.what) for r in report.inbound_data] == [
        ("apps/billing/models.py", 5, "billing", "orders.Order")
    ]
    assert report.tasks == ["archive_order(order_id: int) -> None"]
    database = report.checklist[2]
    assert database.blockers == [
        "apps/billing/models.py:5: billing relates to the model orders.Order "
        "(billing.Invoice.order (ForeignKey))"
    ]


def test_billing_handles_orders_event_and_relates_to_its_model() -> None:
    report = report_of(SAMPLE, "billing")

    assert [(h.publisher, h.event, h.durable) for h in report.consumed] == [
        ("orders", "OrderPlaced", True)
    ]
    assert [r.what for r in report.outbound_data] == ["orders.Order"]
    assert not report.checklist[2].ready


def test_migrations_settings_tables_and_baselined_crossings(project: SampleProject) -> None:
    project.write(
        "apps/billing/migrations/0001_initial.py",
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('orders', '0001_initial'), ('billing', '0000_start')]\n",
    )
    project.write("apps/billing/migrations/__init__.py", "")
    project.append(
        "apps/inventory/services.py",
        "\n\ndef limit() -> int:\n    from django.conf import settings\n\n"
        "    return settings.STOCK_LIMIT\n",
    )
    project.write(
        "apps/billing/reports.py",
        '"""Reports."""\n\nfrom django.db import connection\n\n\ndef stock() -> None:\n'
        '    connection.cursor().execute("SELECT * FROM inventory_item")\n',
    )
    assert cli.check(root=project.root, update_baseline=True, out=io.StringIO()) == 0

    orders = report_of(project.root, "orders")
    inventory = report_of(project.root, "inventory")

    assert [(m.file, m.domain, m.depends_on) for m in orders.migrations] == [
        ("apps/billing/migrations/0001_initial.py", "billing", "orders")
    ]
    assert (
        "migration of billing depends on orders's 0001_initial" in orders.checklist[2].blockers[-1]
    )
    assert [(s.name, s.line) for s in inventory.settings] == [("STOCK_LIMIT", 16)]
    assert "reads settings.STOCK_LIMIT: configure it there too" in inventory.checklist[3].notes
    assert [(r.source, r.kind, r.what) for r in inventory.inbound_data] == [
        ("billing", "table", "inventory_item")
    ]
    assert [c.location for c in inventory.baselined] == ["apps/billing/reports.py"]
    assert not inventory.checklist[0].ready  # the baselined crossing
    assert not inventory.checklist[2].ready  # the table


def test_telemetry_sums_calls_and_database_time() -> None:
    report = report_of(SAMPLE, "inventory", TELEMETRY)

    assert report.traced_calls is not None
    traced = [(t.caller, t.callee, t.function, t.count, t.total_ms, t.mean_ms)
              for t in report.traced_calls]  # fmt: skip
    assert traced == [("orders", "inventory", "reserve", 2, 6.0, 3.0)]
    assert report.database_ms == 3.0
    assert report.database_share == 0.75
    assert "orders -> inventory `reserve`: 2 calls, 6.0 ms in all, 3.0 ms each" in (
        render_markdown(report)
    )


def test_telemetry_reads_the_collectors_file_of_one_export_per_line(tmp_path: Path) -> None:
    """The observability profile's collector appends one export per line (JSON Lines):
    the report reads that file as it is, the same as one export holding all spans."""
    export = json.loads(TELEMETRY.read_text())
    lines = [
        json.dumps({"resourceSpans": [{**resource, "scopeSpans": [scope]}]})
        for resource in export["resourceSpans"]
        for scope in resource["scopeSpans"]
    ]
    assert len(lines) > 1
    jsonl = tmp_path / "traces.jsonl"
    jsonl.write_text("\n".join(lines) + "\n\n")

    assert read_telemetry(jsonl)["resourceSpans"] == read_telemetry(TELEMETRY)["resourceSpans"]

    jsonl.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match="not an OTLP JSON trace export"):
        read_telemetry(jsonl)


def test_the_markdown_and_json_list_the_same_call() -> None:
    report = report_of(SAMPLE, "inventory")

    text = render_markdown(report)
    data = json.loads(render_json(report))

    line = (
        "- `apps/orders/services.py:11` orders.place_order -> `inventory.reserve` (in "
        "transaction.atomic, in a loop, publishes orders.OrderPlaced in the same transaction)"
    )
    assert text.count(line) == 3  # the calls in, the transactional ones, the chatty ones
    assert "- [ ] Calls become API calls: replace direct function calls: blocked by" in text
    assert data["transactional_coupling"] == data["chattiness"] == data["inbound_calls"]
    assert data["inbound_calls"][0]["line"] == 11
    assert [step["ready"] for step in data["checklist"]] == [True, False, True, False]


def test_the_command_writes_either_format(project: SampleProject) -> None:
    out = io.StringIO()
    call_command("extraction_report", "inventory", stdout=out)
    assert out.getvalue().startswith("# Extracting inventory\n")

    target = project.root / "inventory.json"
    call_command("extraction_report", "inventory", "--format", "json", "--output", str(target),
                 "--telemetry", str(TELEMETRY), stdout=io.StringIO())  # fmt: skip
    data = json.loads(target.read_text())
    assert data["domain"] == "inventory"
    assert data["traced_calls"][0]["count"] == 2

    with pytest.raises(CommandError, match="'stock' is not a domain"):
        call_command("extraction_report", "stock", stdout=io.StringIO())


def test_decorated_transactions_methods_and_comprehensions(project: SampleProject) -> None:
    project.write(
        "apps/billing/views.py",
        '''"""Views."""

from django.db.transaction import atomic

import apps.orders.services


class Reorder:
    @atomic
    def post(self, item_ids: list[int]) -> list[int]:
        return [apps.orders.services.place_order(item_id=i) for i in item_ids]


def count() -> int:
    return apps.orders.services.place_order(item_id=1)
''',
    )

    calls = report_of(project.root, "orders").inbound_calls

    assert [(c.line, c.caller, c.function, c.transactional, c.in_loop) for c in calls] == [
        (11, "billing", "Reorder.post", True, True),
        (15, "billing", "count", False, False),
    ]


def test_call_sites_come_from_the_cached_model(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    Project.read(project.root)  # the check's cache, now warm

    def parsed(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was read again")

    monkeypatch.setattr(scan, "read_module", parsed)
    monkeypatch.setattr(ast, "parse", parsed)
    report = build_report(Project.read(project.root), project.root, "inventory")

    assert report.inbound_calls == [RESERVE]
