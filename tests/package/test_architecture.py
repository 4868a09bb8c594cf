"""The module map and test selection, on hand-made domains and declarations."""

import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.views import View
from pytest_django import Settings
from rest_framework import generics, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from modulith.architecture import affected
from modulith.architecture.affected import changed_files, no_comparison, report, select
from modulith.architecture.canvas import canvases, methods_of
from modulith.architecture.document import mermaid, render
from modulith.architecture.graph import DomainGraph, Edge, Kind, build_graph, load_graph
from modulith.boundaries import cli
from modulith.boundaries.model import EventHandler, Project
from modulith.domains import Declaration
from tests.package.sample_project import SampleProject


def declare(domain: str, *depends_on: str, models: tuple[str, ...] = ()) -> Declaration:
    return Declaration(
        domain=domain,
        depends_on=frozenset(depends_on),
        model_relations_to=frozenset(models),
        config_class=f"{domain.title()}Config",
        config_file=Path(f"apps/{domain}/apps.py"),
    )


# shipping -> orders -> inventory; billing listens to orders; catalog stands alone.
DECLARATIONS = {
    "billing": declare("billing", "orders"),
    "catalog": declare("catalog"),
    "inventory": declare("inventory"),
    "orders": declare("orders", "inventory"),
    "shipping": declare("shipping", models=("orders",)),
}
SUBSCRIPTIONS = [EventHandler("billing", "orders", "OrderPlaced", "charge", durable=True)]
GRAPH = build_graph(DECLARATIONS, SUBSCRIPTIONS)


def test_the_graph_holds_each_declared_and_discovered_dependency() -> None:
    assert GRAPH.domains == ("billing", "catalog", "inventory", "orders", "shipping")
    assert GRAPH.edges == (
        Edge("billing", "orders", Kind.DEPENDS_ON),
        Edge("billing", "orders", Kind.LISTENS_TO),
        Edge("orders", "inventory", Kind.DEPENDS_ON),
        Edge("shipping", "orders", Kind.MODEL_RELATIONS),
    )


def test_baselined_crossings_get_their_own_edges_between_domains_only() -> None:
    baselined = [("catalog", "inventory"), ("catalog", "catalog"), ("core", "orders")]

    graph = build_graph(DECLARATIONS, SUBSCRIPTIONS, baselined)

    assert [e for e in graph.edges if e.kind is Kind.BASELINED] == [
        Edge("catalog", "inventory", Kind.BASELINED)
    ]


def test_the_mermaid_graph_draws_each_kind_in_its_own_style() -> None:
    graph = build_graph(DECLARATIONS, SUBSCRIPTIONS, [("catalog", "inventory")])

    lines = mermaid(graph).splitlines()

    assert lines[:3] == ["```mermaid", "flowchart LR", '    d_billing["billing"]']
    assert "    d_billing -->|depends on| d_orders" in lines
    assert "    d_billing -.->|listens to| d_orders" in lines
    assert "    d_shipping ==>|models| d_orders" in lines
    assert "    d_catalog --x|baselined| d_inventory" in lines
    edge_lines = [line for line in lines if "|" in line]
    assert edge_lines.index("    d_catalog --x|baselined| d_inventory") == 2
    assert lines[-2].startswith("    linkStyle 2 stroke:")


def paths(graph: DomainGraph, *changed: str) -> list[str]:
    return select(changed, graph).pytest_paths()


def test_a_change_in_a_domain_nobody_relies_on_tests_that_domain() -> None:
    assert paths(GRAPH, "apps/catalog/services.py") == ["apps/catalog"]


def test_a_change_reaches_every_domain_that_relies_on_it_transitively() -> None:
    selection = select(["apps/inventory/models.py"], GRAPH)

    assert selection.pytest_paths() == [
        "apps/billing",
        "apps/inventory",
        "apps/orders",
        "apps/shipping",
    ]
    assert selection.domains["orders"] == "relies on inventory (declared dependency)"
    assert selection.domains["shipping"] == "relies on orders (model relation)"


def test_a_baselined_crossing_is_followed_like_any_dependency() -> None:
    graph = build_graph(DECLARATIONS, SUBSCRIPTIONS, [("catalog", "inventory")])

    assert "apps/catalog" in paths(graph, "apps/inventory/services.py")


def test_a_change_to_tests_only_runs_those_tests() -> None:
    assert paths(GRAPH, "apps/inventory/tests/test_services.py") == ["apps/inventory"]


@pytest.mark.parametrize(
    "changed",
    ["core/models.py", "config/settings/base.py", "uv.lock", "conftest.py", "pyproject.toml"],
)
def test_shared_code_runs_every_test(changed: str) -> None:
    selection = select([changed, "apps/catalog/services.py"], GRAPH)

    assert selection.pytest_paths() == []
    assert selection.everything == [f"{changed} is shared by every domain"]


def test_migrations_of_a_domain_others_rely_on_run_every_test() -> None:
    selection = select(["apps/inventory/migrations/0002_stock.py"], GRAPH)

    assert selection.everything == [
        "apps/inventory/migrations/0002_stock.py changes the schema of inventory, "
        "which orders rely on"
    ]
    assert paths(GRAPH, "apps/catalog/migrations/0002_price.py") == ["apps/catalog"]


def test_documentation_reaches_no_test() -> None:
    selection = select(["README.md", "docs/architecture.md", "Dockerfile"], GRAPH)

    assert (selection.everything, selection.domains) == ([], {})


def test_a_removed_domain_runs_every_test() -> None:
    assert select(["apps/legacy/services.py"], GRAPH).everything == [
        "apps/legacy/services.py: apps/legacy/ is not a domain any more"
    ]


class Things(viewsets.ViewSet):
    def list(self, request: Request) -> Response:
        return Response([])


def test_endpoints_list_the_methods_each_kind_of_view_answers() -> None:
    assert methods_of(Things.as_view({"get": "list", "post": "create"})) == ("GET", "POST")
    assert methods_of(generics.ListCreateAPIView.as_view()) == ("GET", "POST")
    assert methods_of(View.as_view()) == ()
    assert methods_of(lambda request: None) == (), "a function view does not say"


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


APPS_PY = (
    "from django.apps import AppConfig\n\nclass Config(AppConfig):\n    name = 'apps.{domain}'\n"
)


def test_subscriptions_are_resolved_through_the_handlers_imports(tmp_path: Path) -> None:
    write(
        tmp_path,
        "apps/billing/handlers/__init__.py",
        "from apps.orders import events as order_events\n"
        "from modulith.events import subscriber\n\n"
        "@subscriber(order_events.OrderPlaced, durable=True)\n"
        "def charge(event: object) -> None: ...\n",
    )
    write(
        tmp_path,
        "apps/billing/handlers/refunds.py",
        "from modulith.events.subscriptions import subscriber as on\n"
        "from apps.orders.events import OrderCancelled\n"
        "from ..events import InvoicePaid\n\n"
        "@on(OrderCancelled)\n"
        "def refund(event: object) -> None: ...\n\n"
        "@on(InvoicePaid)\n"
        "def thank(event: object) -> None: ...\n\n"
        "@other(OrderCancelled)\n"
        "def not_a_subscription(event: object) -> None: ...\n",
    )

    for domain in ("billing", "orders"):
        write(tmp_path, f"apps/{domain}/apps.py", APPS_PY.format(domain=domain))

    found = Project.read(tmp_path, use_cache=False).event_handlers()

    assert found == [
        EventHandler("billing", "billing", "InvoicePaid", "thank", durable=False),
        EventHandler("billing", "orders", "OrderCancelled", "refund", durable=False),
        EventHandler("billing", "orders", "OrderPlaced", "charge", durable=True),
    ]
    assert build_graph(DECLARATIONS, found).dependents("billing") == {}, "no edge to itself"


def test_public_functions_and_events_are_read_with_their_signatures(tmp_path: Path) -> None:
    write(tmp_path, "apps/orders/apps.py", APPS_PY.format(domain="orders"))
    write(
        tmp_path,
        "apps/orders/services.py",
        "def place(*, item_id: int, note: str | None = None) -> 'OrderData': ...\n"
        "async def cancel(order_id: int) -> None: ...\n"
        "def _helper() -> None: ...\n",
    )
    write(
        tmp_path,
        "apps/orders/events.py",
        "class OrderPlaced(DomainEvent):\n    order_id: int\n\n"
        "class OrderPlacedLate(OrderPlaced):\n    delay: int = 0\n\n"
        "class NotAnEvent:\n    value: int\n",
    )

    project = Project.read(tmp_path, use_cache=False)
    functions = project.functions("orders", "services")
    events = project.event_types("orders")

    assert [str(f) for f in functions] == [
        "async cancel(order_id: int) -> None",
        "place(*, item_id: int, note: str | None = None) -> 'OrderData'",
    ]
    assert [str(e) for e in events] == [
        "OrderPlaced(order_id: int)",
        "OrderPlacedLate(order_id: int, delay: int = 0)",
    ]


# The map of the sample project, read from its files (and Django's registries).


@pytest.fixture
def project(tmp_path: Path, settings: Settings) -> SampleProject:
    project = SampleProject(tmp_path / "project")
    settings.BASE_DIR = project.root
    return project


def test_the_sample_projects_graph_is_read_from_its_declarations_and_handlers(
    project: SampleProject,
) -> None:
    graph = load_graph()

    assert graph.domains == ("billing", "inventory", "orders")
    assert graph.edges == (
        Edge("billing", "orders", Kind.DEPENDS_ON),
        Edge("billing", "orders", Kind.LISTENS_TO),
        Edge("billing", "orders", Kind.MODEL_RELATIONS),
        Edge("orders", "inventory", Kind.DEPENDS_ON),
    )


def test_the_map_lists_what_each_domain_offers_and_uses(project: SampleProject) -> None:
    graph = load_graph()

    text = render(graph, canvases(graph))

    assert "    d_billing -.->|listens to| d_orders" in text
    assert "  - `place_order(*, item_id: int, quantity: int = 1) -> int`" in text
    assert "_helper" not in text
    assert "  - `OrderPlaced(order_id: int, note: str = '')`, listened to by billing" in text
    assert "  - `orders.OrderPlaced` by `charge`" in text
    assert "- **Models**: `Invoice`" in text
    assert "`GET POST /api/orders/` (`OrderViewSet`)" in text
    assert "  - `archive_order(order_id: int) -> None`" in text
    assert "- **Extraction**: `python manage.py extraction_report inventory`\n" in text


def test_domain_map_check_fails_until_the_map_is_written(project: SampleProject) -> None:
    with pytest.raises(CommandError, match=r"docs/architecture\.md is missing"):
        call_command("domain_map", "--check", stdout=io.StringIO())
    call_command("domain_map", stdout=io.StringIO())
    call_command("domain_map", "--check", stdout=io.StringIO())
    project.declare("billing", "depends_on", "orders", "inventory")
    project.append(
        "apps/billing/services.py",
        "\n\ndef stock_of(item_id: int) -> int:\n"
        "    from apps.inventory import services as inventory\n\n"
        "    return inventory.models_stock(item_id)\n",
    )
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"docs/architecture\.md is out of date"):
        call_command("domain_map", "--check", stdout=out)

    assert "+    d_billing -->|depends on| d_inventory" in out.getvalue(), "the diff shows it"
    call_command("domain_map", stdout=io.StringIO())
    text = (project.root / "docs/architecture.md").read_text()
    assert "  - `stock_of(item_id: int) -> int`" in text
    call_command("domain_map", "--check", stdout=io.StringIO())


def test_a_baselined_crossing_is_drawn_as_one(project: SampleProject) -> None:
    project.write("apps/billing/stock.py", '"""Stock."""\n\nfrom apps.inventory import services\n')
    assert cli.check(root=project.root, update_baseline=True, out=io.StringIO()) == 0

    text = render(load_graph(), canvases(load_graph()))

    assert "    d_billing --x|baselined| d_inventory" in text


def test_the_selection_follows_the_sample_projects_graph(project: SampleProject) -> None:
    selection = select(["apps/inventory/services.py"], load_graph())

    assert selection.pytest_paths() == ["apps/billing", "apps/inventory", "apps/orders"]
    assert selection.domains["billing"] == (
        "relies on orders (declared dependency, event subscription, model relation)"
    )


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=Tests", "-c", "user.email=tests@example.com"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


def test_the_change_is_everything_since_the_merge_base_untracked_included(
    project: SampleProject,
) -> None:
    git(project.root, "init", "--quiet", "--initial-branch=main")
    git(project.root, "add", "--all")
    git(project.root, "commit", "--quiet", "-m", "Sample")
    git(project.root, "checkout", "--quiet", "-b", "feature")
    project.append("apps/orders/services.py", "# committed\n")
    git(project.root, "commit", "--quiet", "--all", "-m", "Change orders")
    project.append("apps/inventory/models.py", "# not committed\n")
    project.write("apps/billing/extra.py", "# untracked\n")

    merge_base, changed = changed_files("main")

    assert len(merge_base) == 40
    assert changed == [
        "apps/billing/extra.py",
        "apps/inventory/models.py",
        "apps/orders/services.py",
    ]
    with pytest.raises(SystemExit, match="`git merge-base nowhere HEAD` failed"):
        changed_files("nowhere")


def test_with_nothing_to_compare_with_every_test_runs_and_the_report_says_why(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    launched: list[list[str]] = []
    real_run = subprocess.run

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "pytest" in command:
            launched.append(command)
            return subprocess.CompletedProcess(command, 0)
        return real_run(command, **kwargs)

    monkeypatch.setattr(affected.subprocess, "run", run)
    assert "not in a git repository" in (no_comparison("main") or "")
    git(project.root, "init", "--quiet", "--initial-branch=main")  # as the copy leaves it

    assert affected.main(["--base", "main"]) == 0

    out = capsys.readouterr().out
    assert "Running every test:" in out
    assert "the repository has no commit yet" in out
    assert "fatal" not in out
    assert launched, "pytest ran"
    assert not [arg for arg in launched[0] if arg.startswith("apps/")], "every test path"
    git(project.root, "add", "--all")
    git(project.root, "commit", "--quiet", "-m", "Sample")
    assert "no 'develop' to compare with" in (no_comparison("develop") or "")
    assert no_comparison("main") is None


def test_the_report_says_why_each_domain_runs() -> None:
    graph = build_graph(DECLARATIONS, SUBSCRIPTIONS)

    assert report(select(["apps/inventory/models.py"], graph), graph) == [
        "Running the tests of 4 of 5 domains:",
        "  billing    relies on orders (declared dependency, event subscription)",
        "  inventory  changed: apps/inventory/models.py",
        "  orders     relies on inventory (declared dependency)",
        "  shipping   relies on orders (model relation)",
    ]
    assert report(select(["README.md"], graph), graph) == [
        "No change reaches a test: nothing to run."
    ]
    assert report(select(["core/models.py"], graph), graph) == [
        "Running every test:",
        "  core/models.py is shared by every domain",
    ]
