"""The generated boundary check: clean projects pass, each kind of violation is reported.

Every test copies an installed project, injects one violation (or one thing that must
not count as one), and runs the project's own command, `python manage.py
check_boundaries`, with the project's environment.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tests.helpers import SCENARIOS, project_env, run, writable_copy

pytestmark = pytest.mark.project

PROJECTS = ["defaults", "twelve-domains"]  # both contain orders and inventory


class Project:
    """A writable copy of a generated project, run with its installed environment."""

    def __init__(self, root: Path, python: Path) -> None:
        self.root = root
        self.python = python

    def write(self, relative: str, text: str) -> None:
        (self.root / relative).write_text(text)

    def append(self, relative: str, text: str) -> int:
        """Append `text`; return the line number its first line lands on."""
        path = self.root / relative
        existing = path.read_text()
        path.write_text(existing + text)
        return existing.count("\n") + 1

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def declare(self, domain: str, setting: str, *targets: str) -> None:
        """Replace the domain's declaration of `setting` with exactly `targets`."""
        apps_py = self.root / "apps" / domain / "apps.py"
        declaration = re.compile(rf"^    {setting}: tuple\[str, \.\.\.\] = \(.*\)$", re.M)
        assert declaration.search(apps_py.read_text())
        value = f"({''.join(f'{target!r}, ' for target in targets)})"
        apps_py.write_text(
            declaration.sub(f"    {setting}: tuple[str, ...] = {value}", apps_py.read_text())
        )

    def events_example_subscriber(self) -> str:
        answers = yaml.safe_load((self.root / ".copier-answers.yml").read_text())
        return str(answers["events_example_subscriber"])

    def manage(self, *args: str, check: bool = False) -> tuple[int, str]:
        result = run(
            [str(self.python), "manage.py", *args],
            cwd=self.root,
            env=project_env(DATABASE_URL=f"sqlite:///{self.root / 'db.sqlite3'}"),
            check=check,
        )
        return result.returncode, result.stdout + result.stderr


@pytest.fixture(params=PROJECTS)
def project(
    request: pytest.FixtureRequest,
    render: Render,
    install: Callable[[Path], Path],
    tmp_path: Path,
) -> Project:
    installed = install(render(SCENARIOS[request.param]))
    copy = writable_copy(installed, tmp_path / "project")
    return Project(copy, installed / ".venv" / "bin" / "python")


def assert_reported(report: str, location: str, rule: str, *words: str) -> None:
    lines = [line for line in report.splitlines() if line.startswith(f"{location}: [{rule}]")]
    assert lines, f"no [{rule}] report at {location} in:\n{report}"
    for word in words:
        assert word in lines[0], f"{word!r} missing from {lines[0]!r}"


def test_clean_project_keeps_every_rule(project: Project) -> None:
    code, report = project.manage("check_boundaries")

    assert code == 0, report
    assert "Domain boundaries: all rules kept." in report


def test_import_of_another_domains_models_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/stock.py", '"""Stock."""\n\nfrom apps.inventory.models import Inventory\n'
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "'orders'", "'inventory'")
    assert "fix: import apps.inventory.events or apps.inventory.services instead" in report


def test_import_inside_a_function_body_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\n\ndef count() -> int:\n'
        "    from apps.inventory.models import Inventory\n\n"
        "    return Inventory.objects.count()\n",
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:5", "public-interface", "apps.inventory.models")


def test_undeclared_dependency_is_reported(project: Project) -> None:
    line = project.append("apps/orders/services.py", "\nfrom apps.inventory import services\n")

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report,
        f"apps/orders/services.py:{line + 1}",
        "declared-dependency",
        "'orders' uses 'inventory'",
    )
    assert "fix: add 'inventory' to depends_on in OrdersConfig (apps/orders/apps.py)" in report


def test_declaring_the_dependency_makes_the_same_import_pass(project: Project) -> None:
    project.append("apps/orders/services.py", "\nfrom apps.inventory import services\n")
    project.declare("orders", "depends_on", "inventory")

    code, report = project.manage("check_boundaries")

    assert code == 0, report


def test_cycle_between_domains_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventory")
    project.declare("inventory", "depends_on", "orders")
    project.write("apps/orders/stock.py", '"""Stock."""\n\nfrom apps.inventory import services\n')
    project.write("apps/inventory/demand.py", '"""Demand."""\n\nfrom apps.orders import services\n')

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert re.search(r"^apps/(orders/stock|inventory/demand)\.py:3: \[no-cycles\]", report, re.M)
    assert "inventory -> orders" in report
    assert "apps/orders/stock.py:3 imports apps.inventory.services" in report
    assert "apps/inventory/demand.py:3 imports apps.orders.services" in report


def test_core_importing_a_domain_is_reported(project: Project) -> None:
    project.write("core/shortcuts.py", '"""Shortcuts."""\n\nfrom apps.orders import services\n')

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "core/shortcuts.py:3", "core-neutral", "'orders'")


def test_string_foreign_key_to_another_domain_is_reported(project: Project) -> None:
    line = project.append(
        "apps/orders/models.py",
        "\n\nclass Line(models.Model):\n"
        '    item = models.ForeignKey("inventory.Inventory", on_delete=models.PROTECT)\n',
    )

    code, report = project.manage("check_boundaries")
    check_code, check_report = project.manage("check")

    location = f"apps/orders/models.py:{line + 3}"
    assert code == 1
    assert_reported(report, location, "model-relations", "'orders'", "inventory.Inventory")
    assert "add 'inventory' to model_relations_to in OrdersConfig" in report
    assert check_code == 1, "manage.py check must fail too"
    assert "boundaries.E001" in check_report


def test_allowed_model_relation_passes(project: Project) -> None:
    project.append(
        "apps/orders/models.py",
        "\n\nclass Line(models.Model):\n"
        '    item = models.ForeignKey("inventory.Inventory", on_delete=models.PROTECT)\n',
    )
    project.declare("orders", "model_relations_to", "inventory")

    code, report = project.manage("check_boundaries")

    assert code == 0, report


def test_signal_receiver_on_another_domains_model_is_reported(project: Project) -> None:
    project.write(
        "apps/orders/receivers.py",
        '"""Receivers."""\n\nfrom django.db.models.signals import post_save\n'
        "from django.dispatch import receiver\n\n\n"
        '@receiver(post_save, sender="inventory.Inventory")\n'
        "def on_stock_saved(**kwargs: object) -> None:\n    pass\n",
    )
    project.append(
        "apps/orders/apps.py",
        "\n    def ready(self) -> None:\n        from apps.orders import receivers  # noqa: F401\n",
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report, "apps/orders/receivers.py:7", "model-relations", "post_save", "'inventory'"
    )


def test_subscription_to_an_undeclared_domain_is_reported(project: Project) -> None:
    subscriber = project.events_example_subscriber()  # it subscribes to OrderCreated
    handlers = (project.root / "apps" / subscriber / "handlers.py").read_text()
    line = handlers.splitlines().index("from apps.orders.events import OrderCreated") + 1
    project.declare(subscriber, "depends_on")

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report,
        f"apps/{subscriber}/handlers.py:{line}",
        "declared-dependency",
        f"'{subscriber}' uses 'orders' (apps.orders.events)",
    )


def test_model_fetched_by_name_from_another_domain_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom django.apps import apps\n\n\ndef count() -> int:\n'
        '    return apps.get_model("inventory", "Inventory").objects.count()\n',
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report, "apps/orders/stock.py:7", "public-interface", "'orders'", "inventory.Inventory"
    )
    assert "fix: call a function in apps/inventory/services.py instead" in report


def test_model_handed_out_by_a_public_module_is_reported(project: Project) -> None:
    # services.py imports its model to use it, which leaves it reachable from outside.
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom apps.inventory import services\n'
        "from apps.inventory.services import Inventory\n\n\n"
        "def count() -> int:\n"
        "    return Inventory.objects.count() + services.Inventory.objects.count()\n",
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    for location in ("apps/orders/stock.py:4", "apps/orders/stock.py:8"):
        assert_reported(
            report,
            location,
            "public-interface",
            "'orders' takes the model inventory.Inventory from apps.inventory.services",
            "'inventory'",
        )
    assert "stop exposing Inventory there" in report


def test_private_module_imported_by_name_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nimport importlib\n\n'
        'stock = importlib.import_module("apps.inventory.models")\n',
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report,
        "apps/orders/stock.py:5",
        "public-interface",
        "'orders' imports apps.inventory.models by name (import_module)",
        "'inventory'",
    )


def test_core_model_relating_to_a_domain_is_reported(project: Project) -> None:
    line = project.append(
        "core/models.py",
        "\n\nclass Tag(models.Model):\n"
        '    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE)\n',
    )

    code, report = project.manage("check_boundaries")
    check_code, check_report = project.manage("check")

    location = f"core/models.py:{line + 3}"
    assert code == 1
    assert_reported(report, location, "core-neutral", "core.Tag.order", "'orders'")
    assert check_code == 1, "manage.py check must fail too"
    assert f"{location}: [core-neutral]" in check_report


def test_raw_sql_naming_another_domains_table_is_reported(project: Project) -> None:
    project.write(
        "apps/orders/stock.py",
        '"""Stock."""\n\nfrom django.db import connection\n\n\ndef count() -> int:\n'
        "    with connection.cursor() as cursor:\n"
        '        cursor.execute("SELECT COUNT(*) FROM inventory_inventory")\n'
        "        return int(cursor.fetchone()[0])\n",
    )

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report,
        "apps/orders/stock.py:8",
        "public-interface",
        "'orders' names the table inventory_inventory",
        "'inventory'",
        "best effort",
    )


def test_tests_may_set_up_data_through_another_domains_services(project: Project) -> None:
    # The example subscriber depends on orders: counted as orders' dependency, this
    # test's import would also close a cycle.
    subscriber = project.events_example_subscriber()
    create = re.findall(r"^def (create_\w+)", project.read(f"apps/{subscriber}/services.py"), re.M)
    setup = (
        f"from apps.{subscriber} import services\n\n\n"
        f"def make_one() -> None:\n    services.{create[0]}(name='x')\n"
    )
    project.write("apps/orders/tests/test_setup.py", f'"""Setup."""\n\n{setup}')

    code, report = project.manage("check_boundaries")

    assert code == 0, report
    project.write("apps/orders/setup.py", f'"""The same, in production code."""\n\n{setup}')
    code, report = project.manage("check_boundaries")
    assert code == 1
    assert_reported(report, "apps/orders/setup.py:3", "declared-dependency", f"'{subscriber}'")
    assert "[no-cycles]" in report


def test_modules_of_a_services_package_stay_public(project: Project) -> None:
    services = project.root / "apps/inventory/services"
    services.mkdir()
    (project.root / "apps/inventory/services.py").rename(services / "__init__.py")
    project.write(
        "apps/inventory/services/pricing.py",
        '"""Prices."""\n\n\ndef unit_price(item_id: int) -> int:\n    return 100\n',
    )
    project.declare("orders", "depends_on", "inventory")
    project.write(
        "apps/orders/pricing.py",
        '"""Prices."""\n\nfrom apps.inventory.services import pricing\n'
        "from apps.inventory.services.pricing import unit_price\n\n"
        "PRICES = (pricing.unit_price, unit_price)\n",
    )

    code, report = project.manage("check_boundaries")

    assert code == 0, report


def test_unknown_domain_in_a_declaration_is_reported(project: Project) -> None:
    project.declare("orders", "depends_on", "inventry")

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "apps/orders/apps.py:11", "declarations", "'inventry'")
    assert "fix: did you mean 'inventory'?" in report


# Gradual adoption: a committed baseline of known crossings (Packwerk's package_todo.yml).

STOCK = '"""Stock."""\n\nfrom apps.inventory.models import Inventory\n'


def baseline_entries(project: Project) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = json.loads(project.read("boundaries-baseline.json"))[
        "crossings"
    ]
    return entries


def test_baseline_keeps_known_crossings_and_fails_on_new_ones(project: Project) -> None:
    project.write("apps/orders/stock.py", STOCK)

    code, report = project.manage("check_boundaries", "--update-baseline")

    assert code == 0, report
    written = project.read("boundaries-baseline.json")
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
    code, report = project.manage("check_boundaries")
    assert code == 0, report
    assert "2 known crossings wait in boundaries-baseline.json" in report
    assert project.manage("check_boundaries", "--update-baseline")[0] == 0
    assert project.read("boundaries-baseline.json") == written

    project.write("apps/orders/more.py", '"""More."""\n\nfrom apps.payments.models import *\n')
    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "apps/orders/more.py:3", "public-interface", "'payments'")
    assert "apps/orders/stock.py" not in report


def test_baseline_entry_of_a_fixed_crossing_fails_until_deleted(project: Project) -> None:
    project.write("apps/orders/stock.py", STOCK)
    project.manage("check_boundaries", "--update-baseline", check=True)
    (project.root / "apps/orders/stock.py").unlink()

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(
        report,
        "boundaries-baseline.json:5",
        "baseline",
        "lists a crossing that no longer exists: public-interface, 'orders' -> 'inventory'",
    )
    assert project.manage("check_boundaries", "--update-baseline")[0] == 0
    assert not (project.root / "boundaries-baseline.json").exists()


def test_strict_domain_may_not_appear_in_the_baseline(project: Project) -> None:
    project.write("apps/orders/stock.py", STOCK)
    project.manage("check_boundaries", "--update-baseline", check=True)
    apps_py = project.read("apps/inventory/apps.py")
    project.write("apps/inventory/apps.py", apps_py.replace("strict = False", "strict = True"))

    code, report = project.manage("check_boundaries")

    assert code == 1
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "'inventory'")
    assert_reported(
        report, "boundaries-baseline.json:4", "baseline", "crossing of 'inventory', which is strict"
    )
    code, report = project.manage("check_boundaries", "--update-baseline")
    assert code == 1
    assert "No crossings to tolerate: boundaries-baseline.json is not needed." in report
    assert_reported(report, "apps/orders/stock.py:3", "public-interface", "'inventory'")
