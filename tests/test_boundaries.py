"""The generated boundary check: clean projects pass, each kind of violation is reported.

Every test copies an installed project, injects one violation, and runs the project's
own command, `python manage.py check_boundaries`, with the project's environment.
"""

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
