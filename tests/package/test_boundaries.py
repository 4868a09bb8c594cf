import argparse
import ast
import inspect
import io
import json
import os
import re
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from modulith.boundaries import cli, scan
from modulith.boundaries.baseline import BaselineError, read_baseline
from modulith.boundaries.checks import check_model_relations
from modulith.boundaries.names import BASELINE_NAME
from modulith.boundaries.rules import (
    GET_MODEL,
    IMPORT,
    RELATION,
    Reach,
    check_cycles,
    check_reaches,
    find_cycles,
)
from modulith.boundaries.source import read_module, signature
from modulith.commands import run_without_django
from modulith.domains import Declaration
from tests.package.sample_project import SampleProject


def declare(domain: str, *depends_on: str, relations: tuple[str, ...] = ()) -> Declaration:
    return Declaration(
        domain=domain,
        depends_on=frozenset(depends_on),
        model_relations_to=frozenset(relations),
        config_class=f"{domain.title()}Config",
        config_file=Path(f"apps/{domain}/apps.py"),
    )


def reach(
    source: str, target: str, what: str, kind: str = IMPORT, line: int = 1, test: bool = False
) -> Reach:
    return Reach(f"apps/{source}/services.py", line, source, target, kind, what, test=test)


DECLARATIONS = {"orders": declare("orders", "inventory"), "inventory": declare("inventory")}


def rules(*reaches: Reach) -> list[str]:
    return [violation.rule for violation in check_reaches(reaches, DECLARATIONS)]


def test_declared_import_of_a_public_module_is_kept() -> None:
    assert rules(reach("orders", "inventory", "apps.inventory.services")) == []


def test_modules_inside_a_services_package_are_public() -> None:
    assert rules(reach("orders", "inventory", "apps.inventory.services.pricing")) == []


def test_private_module_of_another_domain_is_a_violation() -> None:
    (violation,) = check_reaches(
        [reach("orders", "inventory", "apps.inventory.models", line=7)], DECLARATIONS
    )

    assert violation.rule == "public-interface"
    assert violation.location == "apps/orders/services.py:7"
    assert violation.crossing == "imports apps.inventory.models"


def test_undeclared_domain_is_a_violation() -> None:
    found = reach("inventory", "orders", "apps.orders.services")

    (violation,) = check_reaches([found], DECLARATIONS)

    assert violation.rule == "declared-dependency"
    assert "add 'orders' to depends_on in InventoryConfig" in violation.fix


def test_a_model_fetched_by_name_is_private_and_a_dependency() -> None:
    found = reach("inventory", "orders", "orders.Order", kind=GET_MODEL)

    assert rules(found) == ["public-interface", "declared-dependency"]


def test_test_code_may_use_public_modules_without_declaring_them() -> None:
    found = reach("inventory", "orders", "apps.orders.services", test=True)

    assert rules(found) == []
    assert check_cycles([found], {**DECLARATIONS, "inventory": declare("inventory")}) == []


def test_core_reaching_a_domain_is_a_violation() -> None:
    assert rules(reach("core", "orders", "apps.orders.services")) == ["core-neutral"]


def test_model_relations_need_a_declaration() -> None:
    found = reach("orders", "inventory", "inventory.Item", kind=RELATION)
    allowed = {"orders": declare("orders", relations=("inventory",))}

    assert rules(found) == ["model-relations"]
    assert check_reaches([found], allowed) == []


def test_cycles_are_found_in_the_direction_of_the_dependencies() -> None:
    edges = [("c", "a"), ("b", "c"), ("a", "b"), ("x", "a")]

    assert find_cycles(edges) == [["a", "b", "c", "a"]]


def test_overlapping_cycles_are_each_reported() -> None:
    edges = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")]

    assert sorted(find_cycles(edges)) == [["a", "b", "a"], ["b", "c", "b"]]


def test_a_cycle_reports_each_step_with_its_evidence() -> None:
    declarations = {**DECLARATIONS, "inventory": declare("inventory", "orders")}
    found = reach("inventory", "orders", "apps.orders.services", line=3)

    (violation,) = check_cycles([found], declarations)

    assert violation.rule == "no-cycles"
    assert "apps/inventory/services.py:3 imports apps.orders.services" in violation.message
    assert "declared in apps/orders/apps.py" in violation.message


SOURCE = b'''"""SELECT * FROM inventory_item: a docstring, not a query."""
from django.apps import apps
from django.db import models


def count() -> int:
    import importlib

    from apps.inventory import services

    importlib.import_module("apps.inventory.models")
    apps.get_model("inventory", "Item")
    return services.Item.objects.raw("SELECT id FROM inventory_item")


class Line(models.Model):
    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT)
'''


def test_the_reader_finds_what_django_hides_from_imports() -> None:
    facts = read_module(SOURCE, "apps.orders.stock", is_package=False)

    assert facts.imports == ((9, "apps.inventory", "services"),)
    assert facts.by_name == (
        (11, "import_module", "apps.inventory.models", ""),
        (12, "get_model", "inventory", "Item"),
    )
    assert facts.attributes == ((13, "apps.inventory.services.Item.objects.raw"),)
    assert facts.sql == ((13, ("inventory_item",)),), "the docstring is no SQL"
    assert facts.relations == (
        (17, "Line", "item", "django.db.models.ForeignKey", "str:inventory.Item", ""),
    )


def test_generated_models_keep_to_their_domains() -> None:
    assert check_model_relations() == []


# The whole check (modulith.boundaries.cli), on a copy of the sample project.

STOCK = '"""Stock."""\n\nfrom apps.inventory.models import Item\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SampleProject:
    project = SampleProject(tmp_path / "project")
    monkeypatch.chdir(project.root)  # as manage.py runs: paths in reports are relative
    return project


def check(project: SampleProject, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = parser.parse_args(args)
    code = cli.check(
        root=project.root,
        update_baseline=options.update_baseline,
        baseline=options.baseline,
        use_cache=not options.no_cache,
        out=out,
    )
    return code, out.getvalue()


def assert_reported(report: str, location: str, rule: str, *words: str) -> None:
    lines = [line for line in report.splitlines() if line.startswith(f"{location}: [{rule}]")]
    assert lines, f"no [{rule}] report at {location} in:\n{report}"
    for word in words:
        assert word in lines[0], f"{word!r} missing from {lines[0]!r}"


def test_the_sample_project_keeps_every_rule(project: SampleProject) -> None:
    code, report = check(project)

    assert code == 0, report
    assert "Checked " in report
    assert "of 3 domains." in report
    assert "Domain boundaries: all rules kept." in report


def test_import_of_another_domains_models_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/stock.py", '"""Stock."""\n\nfrom apps.inventory.models import Item\n'
    )

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "'orders'", "'inventory'")
    assert "fix: import apps.inventory.events or apps.inventory.services instead" in report


def test_import_inside_a_function_body_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\n\ndef count() -> int:\n'
        "    from apps.inventory.models import Item\n\n"
        "    return Item.objects.count()\n",
    )

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:5", "public-interface", "apps.inventory.models")


def test_undeclared_dependency_is_reported_until_declared(project: SampleProject) -> None:
    line = project.append("apps/billing/services.py", "\nfrom apps.inventory import services\n")

    code, report = check(project)

    assert code == 1
    assert_reported(
        report,
        f"apps/billing/services.py:{line + 1}",
        "declared-dependency",
        "'billing' uses 'inventory'",
    )
    assert "fix: add 'inventory' to depends_on in BillingConfig (apps/billing/apps.py)" in report
    project.declare("billing", "depends_on", "orders", "inventory")
    assert check(project)[0] == 0


def test_cycle_between_domains_is_reported(project: SampleProject) -> None:
    project.declare("inventory", "depends_on", "orders")
    project.write("apps/inventory/demand.py", '"""Demand."""\n\nfrom apps.orders import services\n')

    code, report = check(project)

    assert code == 1
    assert re.search(
        r"^apps/(orders/services|inventory/demand)\.py:\d+: \[no-cycles\]", report, re.M
    )
    assert "apps/orders/services.py:1 imports apps.inventory.services" in report
    assert "apps/inventory/demand.py:3 imports apps.orders.services" in report


def test_core_importing_a_domain_is_reported(project: SampleProject) -> None:
    project.write("core/shortcuts.py", '"""Shortcuts."""\n\nfrom apps.orders import services\n')

    code, report = check(project)

    assert code == 1
    assert_reported(report, "core/shortcuts.py:3", "core-neutral", "'orders'")


def test_core_model_relating_to_a_domain_is_reported(project: SampleProject) -> None:
    line = project.append(
        "core/models.py",
        "from django.db import models\n\n\nclass Tag(models.Model):\n"
        '    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE)\n',
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report, f"core/models.py:{line + 4}", "core-neutral", "core.Tag.order", "'orders'"
    )


def test_string_foreign_key_needs_model_relations_to(project: SampleProject) -> None:
    line = project.append(
        "apps/orders/models.py",
        "\n\nclass Line(models.Model):\n"
        '    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT)\n',
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report, f"apps/orders/models.py:{line + 3}", "model-relations", "'orders'", "inventory.Item"
    )
    assert "add 'inventory' to model_relations_to in OrdersConfig" in report
    project.declare("orders", "model_relations_to", "inventory")
    assert check(project)[0] == 0


def test_signal_receiver_on_another_domains_model_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/receivers.py",
        '"""Receivers."""\n\nfrom django.db.models.signals import post_save\n'
        "from django.dispatch import receiver\n\n\n"
        '@receiver(post_save, sender="inventory.Item")\n'
        "def on_stock_saved(**kwargs: object) -> None:\n    pass\n",
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report, "apps/orders/receivers.py:7", "model-relations", "post_save", "'inventory'"
    )


def test_subscription_to_an_undeclared_domain_is_reported(project: SampleProject) -> None:
    project.declare("billing", "depends_on")

    code, report = check(project)

    assert code == 1
    assert_reported(
        report,
        "apps/billing/handlers.py:1",
        "declared-dependency",
        "'billing' uses 'orders' (apps.orders.events)",
    )


def test_model_fetched_by_name_from_another_domain_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom django.apps import apps\n\n\ndef count() -> int:\n'
        '    return apps.get_model("inventory", "Item").objects.count()\n',
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report, "apps/orders/stock.py:7", "public-interface", "'orders'", "inventory.Item"
    )
    assert "fix: call a function in apps/inventory/services.py instead" in report


def test_model_handed_out_by_a_public_module_is_reported(project: SampleProject) -> None:
    # services.py imports its model to use it, which leaves it reachable from outside.
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom apps.inventory import services\n'
        "from apps.inventory.services import Item\n\n\n"
        "def count() -> int:\n"
        "    return Item.objects.count() + services.Item.objects.count()\n",
    )

    code, report = check(project)

    assert code == 1
    for location in ("apps/orders/stock.py:4", "apps/orders/stock.py:8"):
        assert_reported(
            report,
            location,
            "public-interface",
            "'orders' takes the model inventory.Item from apps.inventory.services",
            "'inventory'",
        )
    assert "stop exposing Item there" in report


def test_private_module_imported_by_name_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nimport importlib\n\n'
        'stock = importlib.import_module("apps.inventory.models")\n',
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report,
        "apps/orders/stock.py:5",
        "public-interface",
        "'orders' imports apps.inventory.models by name (import_module)",
        "'inventory'",
    )


def test_raw_sql_naming_another_domains_table_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom django.db import connection\n\n\ndef count() -> int:\n'
        "    with connection.cursor() as cursor:\n"
        '        cursor.execute("SELECT COUNT(*) FROM inventory_item")\n'
        "        return int(cursor.fetchone()[0])\n",
    )

    code, report = check(project)

    assert code == 1
    assert_reported(
        report,
        "apps/orders/stock.py:8",
        "public-interface",
        "'orders' names the table inventory_item",
        "'inventory'",
        "best effort",
    )


def test_tests_may_use_another_domains_services_production_code_may_not(
    project: SampleProject,
) -> None:
    # The sample's apps/orders/tests/ sets data up through billing's services; billing
    # depends on orders, so counted as a dependency the import would close a cycle.
    assert check(project)[0] == 0

    project.write(
        "apps/orders/setup.py", '"""In production code."""\n\nfrom apps.billing import services\n'
    )
    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/setup.py:3", "declared-dependency", "'billing'")
    assert "[no-cycles]" in report


def test_modules_of_a_services_package_stay_public(project: SampleProject) -> None:
    services = project.root / "apps/inventory/services"
    services.mkdir()
    (project.root / "apps/inventory/services.py").rename(services / "__init__.py")
    project.write(
        "apps/inventory/services/pricing.py",
        '"""Prices."""\n\n\ndef unit_price(item_id: int) -> int:\n    return 100\n',
    )
    project.write(
        "apps/orders/pricing.py",
        '"""Prices."""\n\nfrom apps.inventory.services import pricing\n'
        "from apps.inventory.services.pricing import unit_price\n\n"
        "PRICES = (pricing.unit_price, unit_price)\n",
    )

    code, report = check(project)

    assert code == 0, report


def test_unknown_domain_in_a_declaration_is_reported(project: SampleProject) -> None:
    project.declare("orders", "depends_on", "inventry")

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/apps.py:8", "declarations", "'inventry'")
    assert "fix: did you mean 'inventory'?" in report


def test_a_file_python_cannot_parse_is_reported_and_every_other_file_judged(
    project: SampleProject,
) -> None:
    project.write("apps/orders/broken.py", "\n\ndef broken(:\n")
    project.write("apps/orders/stock.py", STOCK)

    code, report = check(project)

    assert code == 1
    assert "apps/orders/broken.py:3: [syntax] apps/orders/broken.py cannot be parsed" in report
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "apps.inventory.models")


# Gradual adoption: a committed baseline of known crossings (Packwerk's package_todo.yml).


def baseline_entries(project: SampleProject) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = json.loads(project.read(BASELINE_NAME))["crossings"]
    return entries


def test_baseline_keeps_known_crossings_and_fails_on_new_ones(project: SampleProject) -> None:
    project.declare("orders", "depends_on")
    project.write("apps/orders/services.py", '"""Orders."""\n')
    project.write("apps/orders/stock.py", STOCK)

    code, report = check(project, "--update-baseline")

    assert code == 0, report
    assert "Wrote 2 known crossings to boundaries-baseline.json." in report
    written = project.read(BASELINE_NAME)
    assert baseline_entries(project) == [
        {
            "rule": rule,
            "source_domain": "orders",
            "target_domain": "inventory",
            "location": "apps/orders/stock.py",
            "crossing": "imports apps.inventory.models",
        }
        for rule in ("declared-dependency", "public-interface")
    ]
    # Lines move, the baseline does not.
    project.write("apps/orders/stock.py", STOCK.replace("\n\n", "\n\nimport os\n\n"))
    code, report = check(project)
    assert code == 0, report
    assert "2 known crossings wait in boundaries-baseline.json" in report
    assert check(project, "--update-baseline")[0] == 0
    assert project.read(BASELINE_NAME) == written

    project.write("apps/orders/more.py", '"""More."""\n\nfrom apps.billing.models import *\n')
    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/more.py:3", "public-interface", "'billing'")
    assert "apps/orders/stock.py" not in report


def test_baseline_entry_of_a_fixed_crossing_fails_until_deleted(project: SampleProject) -> None:
    project.write("apps/orders/stock.py", STOCK)
    assert check(project, "--update-baseline")[0] == 0
    (project.root / "apps/orders/stock.py").unlink()

    code, report = check(project)

    assert code == 1
    assert_reported(
        report,
        "boundaries-baseline.json:4",
        "baseline",
        "lists a crossing that no longer exists: public-interface, 'orders' -> 'inventory'",
    )
    code, report = check(project, "--update-baseline")
    assert code == 0
    assert "No crossings to tolerate: boundaries-baseline.json is not needed." in report
    assert not (project.root / BASELINE_NAME).exists()


def test_strict_domain_may_not_appear_in_the_baseline(project: SampleProject) -> None:
    project.write("apps/orders/stock.py", STOCK)
    assert check(project, "--update-baseline")[0] == 0
    apps_py = project.read("apps/inventory/apps.py")
    project.write("apps/inventory/apps.py", apps_py.replace("strict = False", "strict = True"))

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "'inventory'")
    assert_reported(
        report, "boundaries-baseline.json:4", "baseline", "crossing of 'inventory', which is strict"
    )
    code, report = check(project, "--update-baseline")
    assert code == 1
    assert "is not needed" not in report
    assert "Removed boundaries-baseline.json: what follows may not wait" in report
    assert "(a strict domain's crossings, and the rules declarations, ownership, syntax)" in report


def test_declarations_are_never_baselined(project: SampleProject) -> None:
    project.declare("orders", "depends_on", "inventry")

    code, report = check(project, "--update-baseline")

    assert code == 1
    assert_reported(report, "apps/orders/apps.py:8", "declarations", "'inventry'")
    assert "what follows may not wait there" in report
    assert {entry["rule"] for entry in baseline_entries(project)} == {"declared-dependency"}


def test_a_broken_baseline_file_is_reported(project: SampleProject) -> None:
    project.write(BASELINE_NAME, '{"crossings": [{"rule": "x"}]}')

    code, report = check(project)

    assert code == 1
    assert "is not a boundary baseline" in report
    with pytest.raises(BaselineError):
        read_baseline(project.root / BASELINE_NAME)


# The cache: unchanged files are not read again; changed ones are.


def test_the_cache_is_written_reused_and_refreshed(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scan.scan(project.root)
    assert (project.root / scan.CACHE_FILE).is_file()
    parsed: list[str] = []
    real_read_module = scan.read_module

    def counting(source: bytes, module: str, is_package: bool) -> object:
        parsed.append(module)
        return real_read_module(source, module, is_package)

    monkeypatch.setattr(scan, "read_module", counting)

    assert scan.scan(project.root) == first
    assert parsed == [], "nothing changed: nothing parsed"
    project.write("apps/orders/stock.py", STOCK)
    os.utime(project.root / "apps/orders/services.py")  # touched, not changed
    again = scan.scan(project.root)
    assert parsed == ["apps.orders.stock"]
    assert again["apps.orders.services"] == first["apps.orders.services"]
    assert scan.scan(project.root, use_cache=False) == again
    assert len(parsed) == len(again) + 1, "--no-cache reads every file"


def test_a_same_size_rewrite_with_its_time_restored_is_read_again(
    project: SampleProject,
) -> None:
    path = project.root / "apps/orders/stock.py"
    project.write("apps/orders/stock.py", "from apps.inventory.services import reserve as r\n")
    assert check(project)[0] == 0
    status = path.stat()
    rewritten = "from apps.inventory.models import Item as r".ljust(status.st_size - 1) + "\n"
    assert len(rewritten) == status.st_size
    path.write_text(rewritten)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))

    code, report = check(project)

    assert code == 1, "the cache keys on the contents, not on size and time"
    assert_reported(report, "apps/orders/stock.py:1", "public-interface", "apps.inventory.models")


def test_a_cache_from_elsewhere_is_ignored(project: SampleProject) -> None:
    (project.root / scan.CACHE_FILE).write_bytes(b"not a cache")
    assert scan.load_cache(project.root / scan.CACHE_FILE, scan.cache_version()) == {}
    assert check(project)[0] == 0
    assert scan.load_cache(project.root / scan.CACHE_FILE, b"another version") == {}


# Entry points: manage.py's (without Django) and Django's command.


def test_manage_py_runs_the_check_without_django(project: SampleProject) -> None:
    project.write("apps/orders/stock.py", STOCK)

    assert run_without_django(["check_boundaries", "--no-cache"], project.root) == 1
    assert run_without_django(["migrate"], project.root) is None


def test_the_django_command_checks_the_configured_project(
    project: SampleProject, settings: Settings
) -> None:
    call_command("check_boundaries", stdout=io.StringIO())  # the sample itself: clean
    settings.BASE_DIR = project.root
    project.write("apps/orders/stock.py", STOCK)

    with pytest.raises(CommandError, match="Domain boundaries are broken"):
        call_command("check_boundaries", "--no-cache", stdout=io.StringIO())


def test_the_system_check_reports_an_undeclared_model_relation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from apps.billing.apps import BillingConfig

    monkeypatch.setattr(BillingConfig, "model_relations_to", ())

    (error,) = check_model_relations()

    assert error.id == "boundaries.E001"
    assert "billing.Invoice.order" in error.msg
    assert "add 'orders' to model_relations_to in BillingConfig" in str(error.hint)


def test_the_system_check_reports_an_unmanaged_model_on_another_domains_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from apps.billing.models import Invoice

    monkeypatch.setattr(Invoice._meta, "managed", False)
    monkeypatch.setattr(Invoice._meta, "db_table", "inventory_item")

    (error,) = check_model_relations()

    assert error.id == "boundaries.E003"
    assert "billing.Invoice is an unmanaged model on the table inventory_item" in error.msg


# No way around the check: every file has an owner, names resolve as Python resolves
# them, Django's routes to a model count, clean code stays quiet, and nothing breaks it.


def test_code_in_the_apps_package_is_owned_by_no_one(project: SampleProject) -> None:
    project.write("apps/__init__.py", "from apps.inventory.models import Item\n")

    code, report = check(project)

    assert code == 1
    assert_reported(report, "apps/__init__.py:1", "ownership", "belongs to no domain")


@pytest.mark.parametrize(
    "file",
    ["apps/stray/helpers.py", "apps/__hidden/helpers.py", "scripts/helpers.py"],
)
def test_a_file_fitting_no_owner_is_reported(project: SampleProject, file: str) -> None:
    project.write(str(Path(file).parent / "__init__.py"), "")
    project.write(file, "from apps.inventory.models import Item\n")

    code, report = check(project)

    assert code == 1
    assert_reported(report, f"{file}:1", "ownership")


def test_an_empty_apps_package_and_the_package_folder_are_fine(project: SampleProject) -> None:
    project.write("apps/__init__.py", '"""The domains."""\n')
    project.write("template-package/src/modulith/x.py", "from apps.inventory import models\n")
    project.write("manage.py", "import config.urls\n")
    project.write("conftest.py", "from core.models import Base\n")

    assert check(project) == (0, ANY_REPORT)


class _Any(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


ANY_REPORT = _Any()


@pytest.mark.parametrize(
    ("launderer", "code"),
    [
        ("config/shortcuts.py", "from apps.inventory.models import Item\n"),
        ("core/shortcuts.py", "from apps.inventory.models import Item\n"),
        ("config/shortcuts.py", "from apps.inventory.models import *\n"),
        ("config/shortcuts.py", "import apps.inventory.models as m\nItem = m.Item\n"),
    ],
)
def test_the_composition_root_and_shared_code_cannot_hand_a_model_on(
    project: SampleProject, launderer: str, code: str
) -> None:
    project.write(launderer, code)
    module = launderer.removesuffix(".py").replace("/", ".")
    project.write("apps/orders/stock.py", f"from {module} import Item\n")

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/stock.py:1", "public-interface", "inventory.Item", module)


def test_a_model_re_exported_by_the_apps_package_stays_private(project: SampleProject) -> None:
    project.write("apps/__init__.py", "from apps.inventory.models import Item\n")
    project.write("apps/orders/stock.py", "import apps\n\nITEM = apps.Item\n")

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "inventory.Item")


def test_the_composition_root_may_wire_domains_together(project: SampleProject) -> None:
    project.write("config/wiring.py", "from apps.inventory.models import Item\n\nMODELS = [Item]\n")
    assert check(project)[0] == 0


@pytest.mark.parametrize(
    ("code", "line", "words"),
    [
        (
            "import apps\n\nx = apps.inventory.models.Item.objects.all()\n",
            3,
            "apps.inventory.models",
        ),
        ("from apps.inventory.services import *\n", 1, "inventory.Item"),
        (
            "from apps.inventory import services\n\nx = getattr(services, 'Item')\n",
            3,
            "inventory.Item",
        ),
        ("from apps.inventory import services\n\nItem = services.Item\n", 3, "inventory.Item"),
        ("from apps.inventory.services import Stock\n", 1, "inventory.Item"),
    ],
)
def test_names_resolve_as_python_resolves_them(
    project: SampleProject, code: str, line: int, words: str
) -> None:
    project.append("apps/inventory/services.py", "\nStock = Item\n")
    project.write("apps/orders/stock.py", code)

    status, report = check(project)

    assert status == 1
    assert_reported(report, f"apps/orders/stock.py:{line}", "public-interface", words)


def test_only_files_in_a_tests_package_are_test_code(project: SampleProject) -> None:
    use = "from apps.billing.services import invoice_count\n"
    project.write("apps/orders/tests/test_billing.py", use)
    project.write("apps/orders/test_mode.py", use)

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/test_mode.py:1", "declared-dependency", "'billing'")
    assert "apps/orders/tests/test_billing.py" not in report


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("from django.apps import apps\n\nx = apps.get_app_config('inventory').get_models()\n", 3),
        ("from django.apps import apps\n\nx = apps.all_models['inventory']\n", 3),
        ("from django.apps import apps\n\nx = apps.get_registered_model('inventory', 'Item')\n", 3),
        ("def forwards(apps, editor):\n    apps.get_model('inventory', 'Item')\n", 2),
        (
            "from django.contrib.contenttypes.models import ContentType\n\n"
            "x = ContentType.objects.get(app_label='inventory', model='item').model_class()\n",
            3,
        ),
        (
            "from django.contrib.contenttypes.models import ContentType\n\n"
            "x = ContentType.objects.get_by_natural_key('inventory', 'item')\n",
            3,
        ),
    ],
)
def test_django_routes_to_another_domains_model_are_reported(
    project: SampleProject, code: str, line: int
) -> None:
    project.write("apps/orders/stock.py", code)

    status, report = check(project)

    assert status == 1
    assert_reported(report, f"apps/orders/stock.py:{line}", "public-interface", "inventory")


def test_a_signal_connected_with_a_positional_sender_is_a_receiver(project: SampleProject) -> None:
    project.write(
        "apps/orders/signals.py",
        "from django.db.models.signals import post_save\n"
        "from django.apps import apps\n\n"
        "def on_saved(**kwargs): ...\n\n"
        "post_save.connect(on_saved, 'inventory.Item')\n",
    )

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/signals.py:6", "model-relations", "inventory.Item")


def test_a_relation_target_held_in_a_constant_is_read(project: SampleProject) -> None:
    project.write(
        "apps/orders/lines.py",
        "from django.db import models\n\nTARGET = 'inventory.Item'\n\n"
        "class Line(models.Model):\n"
        "    item = models.ForeignKey(TARGET, on_delete=models.CASCADE)\n",
    )

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/lines.py:6", "model-relations", "inventory.Item")


def test_an_unmanaged_model_on_another_domains_table_is_reported(project: SampleProject) -> None:
    project.write(
        "apps/orders/mirror.py",
        "from django.db import models\n\n"
        "class Mirror(models.Model):\n    name = models.CharField(max_length=9)\n\n"
        "    class Meta:\n        managed = False\n        db_table = 'inventory_item'\n",
    )

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/mirror.py:3", "public-interface", "inventory_item")


@pytest.mark.parametrize(
    "code",
    [
        "import logging\n\nlogging.getLogger().info('copied rows from inventory_item')\n",
        "from django.db import models\n\nclass Note(models.Model):\n"
        "    text = models.TextField(help_text='select the rows from inventory_item')\n",
        "LIMIT = 3\n'''Rows to select from inventory_item at once.'''\n",
        "def a():\n    from apps.inventory import services\n    return services\n\n"
        "def b(make):\n    services = make()\n    return services.Item.objects.all()\n",
        "def b(services):\n    return services.Item\n\n"
        "from apps.inventory import services as other\n",
        "def c(registry):\n    return registry.get_model('inventory', 'Item')\n",
        "class Factory:\n    def get_model(self, name): ...\n\n"
        "x = Factory().get_model('inventory.Item')\n",
    ],
)
def test_clean_code_stays_quiet(project: SampleProject, code: str) -> None:
    project.write("apps/orders/clean.py", code)

    assert check(project) == (0, ANY_REPORT)


def test_sql_passed_to_the_database_is_read(project: SampleProject) -> None:
    project.write(
        "apps/orders/report.py",
        "from django.db import connection\n\ndef rows():\n    with connection.cursor() as c:\n"
        "        c.execute(f'SELECT id FROM inventory_item WHERE id = {1}')\n",
    )

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/report.py:5", "public-interface", "inventory_item")


def test_an_unreadable_file_and_a_folder_loop_are_findings(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "apps/orders/loop").symlink_to(project.root / "apps/orders")
    project.write("apps/orders/secret.py", "x = 1\n")
    project.write("apps/orders/stock.py", STOCK)
    real_open = os.open

    def guarded(path: str, *args: int, **kwargs: int) -> int:
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded)  # the check reads files through os.open

    status, report = check(project)

    assert status == 1
    assert_reported(report, "apps/orders/secret.py:1", "ownership", "cannot be read")
    assert_reported(report, "apps/orders/loop:1", "ownership", "loop")
    assert_reported(report, "apps/orders/stock.py:3", "public-interface")


def test_a_large_generated_module_is_read_in_linear_time_and_kept_small(
    project: SampleProject,
) -> None:
    def generated(rows: int) -> str:
        return "".join(
            f"ROW_{i} = {{'name': 'select the value from inventory_item {i}', 'n': {i}}}\n"
            for i in range(rows)
        )

    small, large = generated(13_000), generated(65_000)
    assert len(large) > 5_000_000
    timings = []
    for text in (small, large):
        project.write("apps/orders/generated.py", text)
        started = time.perf_counter()
        assert check(project)[0] == 0
        timings.append(time.perf_counter() - started)

    assert timings[1] < timings[0] * 10, f"5 times the code took {timings[1] / timings[0]:.1f}x"
    assert (project.root / scan.CACHE_FILE).stat().st_size < 200_000, "its strings stay out"


@pytest.mark.parametrize(
    ("query", "reported"),
    [
        ("Charge.objects.filter(shipment__item__name='x')", True),
        ("Charge.objects.all().select_related('shipment__item')", True),
        ("Charge.objects.filter(shipment__order__quantity=1)", False),
        ("Charge.objects.filter(shipment__item_id=1)", False),
        ("Charge.objects.filter(shipment__in=[1])", False),
    ],
)
def test_a_query_lookup_walking_into_a_third_domain_is_reported(
    project: SampleProject, query: str, reported: bool
) -> None:
    project.declare("orders", "model_relations_to", "inventory")
    project.write(
        "apps/orders/shipments.py",
        "from django.db import models\n\nfrom apps.orders.models import Order\n\n"
        "class Shipment(models.Model):\n"
        "    order = models.ForeignKey(Order, on_delete=models.CASCADE)\n"
        "    item = models.ForeignKey('inventory.Item', on_delete=models.CASCADE)\n",
    )
    project.write(
        "apps/billing/charges.py",
        "from django.db import models\n\n"
        "class Charge(models.Model):\n"
        "    shipment = models.ForeignKey('orders.Shipment', on_delete=models.CASCADE)\n\n"
        f"def rows():\n    return {query}\n",
    )

    status, report = check(project)

    if reported:
        assert status == 1
        assert_reported(report, "apps/billing/charges.py:7", "model-relations", "inventory.Item")
    else:
        assert status == 0, report


@pytest.mark.parametrize(
    "source",
    [
        "# -*- coding: latin-1 -*-\nTABLE = 'café'\nfrom apps.orders.services import place\n",
        "\ufefffrom apps.orders.services import place\n",
        "#!/usr/bin/env python\n# coding: cp1252\nfrom apps.orders.services import place\n",
    ],
)
def test_files_in_another_encoding_read_as_python_reads_them(source: str) -> None:
    encoding = "cp1252" if "cp1252" in source else "latin-1" if "latin" in source else "utf-8"
    facts = read_module(source.encode(encoding), "apps.billing.invoices", False)

    assert facts.error is None
    assert facts.imports[0][1:] == ("apps.orders.services", "place")


@pytest.mark.parametrize(
    "definition",
    [
        "def f(): ...",
        "def f(a, /): ...",
        "def f(a, /, b): ...",
        "def f(*, a): ...",
        "def f(a=1, *, b=2): ...",
        "def f(*args, **kwargs): ...",
        "async def f(x: str = 'x') -> None: ...",
        "def f(a, b=1, /, c: int = 2, *args: str, d, e: int | None = None, **kw: bool)"
        " -> list[int]: ...",
    ],
)
def test_signatures_are_laid_out_as_inspect_lays_them_out(definition: str) -> None:
    namespace: dict[str, object] = {}
    exec(definition, namespace)  # the oracle: the function itself, as inspect prints it
    expected = str(inspect.signature(namespace["f"]))  # type: ignore[arg-type]
    node = ast.parse(definition).body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)

    assert signature(node) == expected
