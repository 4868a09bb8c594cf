"""Defects a review of the boundary check found: reading the tree, scale, false alarms
and misses."""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modulith.boundaries import scan
from modulith.boundaries.checks import check_model_relations
from modulith.boundaries.source import read_module
from tests.package.sample_project import SampleProject
from tests.package.test_boundaries import ANY_REPORT, assert_reported, check, project

__all__ = ["project"]  # the fixture, shared with the other boundary tests


def test_a_folder_whose_listing_fails_half_way_is_a_finding(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("apps/orders/deep/__init__.py", "")
    real_scandir = os.scandir

    class Failing:
        def __init__(self, path: str) -> None:
            self.inner = real_scandir(path)

        def __enter__(self) -> "Failing":
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def close(self) -> None:
            self.inner.close()

        def __iter__(self) -> Iterator[os.DirEntry[str]]:
            yield from self.inner
            raise PermissionError(13, "Permission denied")

    def scandir(path: str) -> object:
        return Failing(path) if str(path).endswith("deep") else real_scandir(path)

    monkeypatch.setattr(scan.os, "scandir", scandir)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/orders/deep:1", "ownership", "cannot be listed")


def test_a_dangling_python_link_is_a_file_that_cannot_be_read(project: SampleProject) -> None:
    (project.root / "apps/orders/dangling.py").symlink_to(project.root / "nowhere/file.py")

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/orders/dangling.py:1", "ownership", "cannot be read")


def many_names(count: int) -> bytes:
    imports = [f"from apps.orders import services as s{i}" for i in range(count)]
    uses = [f"x{i} = s{i}.place" for i in range(count)]
    return "\n".join([*imports, *uses, ""]).encode()


def many_functions(count: int) -> bytes:
    return "".join(f"def f{i}(a):\n    return a\n\n" for i in range(count)).encode()


@pytest.mark.parametrize(("generate", "count"), [(many_names, 500), (many_functions, 2_500)])
def test_reading_grows_linearly_with_bound_names_and_functions(
    generate: Callable[[int], bytes], count: int
) -> None:
    def seconds(count: int, runs: int) -> float:
        source = generate(count)
        timings = []
        with scan.collector_paused():  # as the scan reads: the collector's pauses are noise
            for _ in range(runs):
                started = time.process_time()  # CPU time: other processes' load aside
                read_module(source, "apps.billing.generated", False)
                timings.append(time.process_time() - started)
        return min(timings)

    small, large = seconds(count, runs=3), seconds(count * 8, runs=3)

    # 8 times the code: about 8 times the time when linear, 64 when quadratic.
    assert large < small * 24, f"8 times the code took {large / small:.1f} times as long"


@pytest.mark.parametrize(
    "code",
    [
        "class _Plugins:\n    def get_model(self, label, name):\n        return label\n\n"
        "def label():\n    apps = _Plugins()\n    return apps.get_model('inventory', 'Item')\n",
        "class _Plugins:\n    def get_model(self, label, name):\n        return label\n\n"
        "apps = _Plugins()\nLABEL = apps.get_model('inventory', 'Item')\n",
    ],
)
def test_a_variable_named_apps_that_is_not_the_registry_stays_quiet(
    project: SampleProject, code: str
) -> None:
    project.write("apps/billing/plugins.py", code)

    assert check(project, "--no-cache") == (0, ANY_REPORT)


def test_a_migration_function_receiving_the_registry_is_still_read(project: SampleProject) -> None:
    project.write(
        "apps/billing/fill.py",
        "def forwards(apps, schema_editor):\n    return apps.get_model('inventory', 'Item')\n",
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/billing/fill.py:2", "declared-dependency", "inventory")


def test_sql_parameter_values_are_not_read_as_sql(project: SampleProject) -> None:
    project.write(
        "apps/billing/notes.py",
        "from django.db import connection\n\ndef note():\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute(\n"
        "            'UPDATE billing_invoice SET note = %s WHERE id = %s',\n"
        "            ['moved from inventory_item', 1],\n        )\n"
        "        cursor.execute('SELECT 1', params=['inventory_item'])\n"
        "        cursor.executemany(\n"
        "            'UPDATE billing_invoice SET note = %s', [('inventory_item',)]\n"
        "        )\n",
    )

    assert check(project, "--no-cache") == (0, ANY_REPORT)


@pytest.mark.parametrize(
    "meta",
    [
        "managed = False\n        db_table = '\"inventory_item\"'\n",
        "managed = False\n        db_table = '`inventory_item`'\n",
        "managed = False\n        db_table = STOCK_TABLE\n",
    ],
)
def test_an_unmanaged_model_on_another_domains_table_is_found_quoted_or_through_a_constant(
    project: SampleProject, meta: str
) -> None:
    line = project.append(
        "apps/billing/models.py",
        "\nSTOCK_TABLE = 'inventory_item'\n\n\nclass StockView(models.Model):\n"
        f"    name = models.CharField(max_length=10)\n\n    class Meta:\n        {meta}",
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/models.py:{line + 4}", "public-interface", "inventory_item"
    )


@pytest.mark.parametrize("label", ["app_label = 'inventory'", "app_label = STOCK_LABEL"])
def test_a_model_filed_under_another_domains_app_label_is_reported(
    project: SampleProject, label: str
) -> None:
    line = project.append(
        "apps/billing/models.py",
        "\nSTOCK_LABEL = 'inventory'\n\n\nclass StockLink(models.Model):\n"
        "    item = models.ForeignKey(STOCK_LABEL.lower(), on_delete=models.CASCADE)\n\n"
        f"    class Meta:\n        {label}\n",
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/models.py:{line + 4}", "public-interface", "app_label = 'inventory'"
    )


def test_the_system_check_reads_a_quoted_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.billing.models import Invoice

    monkeypatch.setattr(Invoice._meta, "managed", False)
    monkeypatch.setattr(Invoice._meta, "db_table", '"inventory_item"')

    (error,) = check_model_relations()

    assert error.id == "boundaries.E003"


def test_the_system_check_reports_a_model_filed_under_another_domain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from apps.billing.models import Invoice

    monkeypatch.setattr(Invoice._meta, "app_label", "inventory")

    errors = [error for error in check_model_relations() if error.id == "boundaries.E004"]

    assert len(errors) == 1
    assert "app_label = 'inventory'" in errors[0].msg


def test_python_files_in_any_top_level_folder_are_read_and_owned(
    project: SampleProject,
) -> None:
    """A folder of programs (no __init__.py: scripts/, docs/conf.py) is the composition
    root's, as manage.py is; a stray top-level package is no one's."""
    project.write("scripts/backfill.py", "from apps.inventory.models import Item\n")
    project.write("scripts/nested/report.py", "x = (\n")  # read: a syntax finding
    project.write("docs/conf.py", "project = 'shop'\n")
    project.write("shop_utils/__init__.py", "")
    project.write("shop_utils/helpers.py", "VALUE = 1\n")
    project.write("venv/pyvenv.cfg", "home = /usr/bin\n")
    project.write("venv/lib/site.py", "x = (\n")  # would be a syntax finding if read
    project.write("node_modules/pkg/tool.py", "x = (\n")
    project.write("template-package/src/tool.py", "x = (\n")

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "shop_utils/helpers.py:1", "ownership", "top-level package")
    assert_reported(report, "scripts/nested/report.py:1", "syntax")
    assert "scripts/backfill.py" not in report
    assert "docs/conf.py" not in report
    assert "venv/" not in report
    assert "node_modules" not in report
    assert "template-package" not in report


def test_a_top_level_module_handing_a_model_to_a_domain_is_followed(
    project: SampleProject,
) -> None:
    project.write("shop_helpers.py", "from apps.inventory.models import Item\n")
    line = project.append("apps/billing/services.py", "\nfrom shop_helpers import Item\n")

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/services.py:{line + 1}", "public-interface", "inventory.Item"
    )


def test_a_domains_production_code_using_another_domain_through_its_tests_is_followed(
    project: SampleProject,
) -> None:
    project.write("apps/billing/tests/__init__.py", "")
    project.write(
        "apps/billing/tests/fixtures.py",
        "from apps.inventory.services import reserve as make_stock\n",
    )
    line = project.append(
        "apps/billing/services.py", "\nfrom apps.billing.tests.fixtures import make_stock\n"
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/services.py:{line + 1}", "declared-dependency", "inventory"
    )


def test_a_folder_linking_outside_the_project_is_a_finding_and_not_walked(
    project: SampleProject, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/broken.py").write_text("x = (\n")
    (project.root / "apps/orders/rootfs").symlink_to(tmp_path / "elsewhere")

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/orders/rootfs:1", "ownership", "outside the project")
    assert "broken.py" not in report


@pytest.mark.parametrize(
    "code",
    [
        "from django.apps import apps\n\nget = apps.get_model\nITEM = get('inventory', 'Item')\n",
        "from django.apps import apps\n\ndef f():\n    get = apps.get_model\n"
        "    return get('inventory', 'Item')\n",
        "from django.apps import apps\n\nITEM = apps.app_configs['inventory'].get_model('Item')\n",
        "from django.apps import apps\n\nITEM = apps.get_app_config('inventory').models['item']\n",
        "from django.apps import apps\n\n"
        "ITEM = apps.get_app_config('inventory').models_module.Item\n",
        "from django.apps import apps\n\n"
        "ITEM = apps.get_app_config(app_label='inventory').get_model('Item')\n",
        "from django.contrib.contenttypes.models import ContentType\n\n"
        "def f():\n    return ContentType.objects.db_manager('default')"
        ".get(app_label='inventory', model='item').model_class()\n",
        "from django.contrib.contenttypes.models import ContentType\n\n"
        "def f():\n    return ContentType._default_manager"
        ".get(app_label='inventory', model='item').model_class()\n",
        "from django.contrib.contenttypes.models import ContentType\n\n"
        "def f():\n    return ContentType.objects.filter(app_label__in=['inventory'])\n",
    ],
)
def test_every_way_of_fetching_a_model_from_the_registry_by_name_is_read(
    project: SampleProject, code: str
) -> None:
    project.write("apps/billing/fetch.py", code)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert "[declared-dependency] 'billing' uses 'inventory'" in report
    assert "fetches the model" in report


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("import apps\n\ndef f(thing):\n    match thing:\n"
         "        case apps.inventory.models.Item(name=name):\n            return name\n", 5),
        ("import apps\n\ndef f(thing: apps.inventory.models.Item) -> None:\n    pass\n", 3),
        ("import apps\n\ndef f() -> apps.inventory.models.Item:\n    pass\n", 3),
        ("import apps\n\ncurrent: apps.inventory.models.Item | None = None\n", 3),
        ("import apps\n\nclass Report:\n    apps = ('inventory',)\n\n    def rows(self):\n"
         "        return apps.inventory.models.Item.objects.all()\n", 7),
    ],
)  # fmt: skip
def test_names_in_patterns_annotations_and_methods_are_followed(
    project: SampleProject, code: str, line: int
) -> None:
    project.write("apps/billing/describe.py", code)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, f"apps/billing/describe.py:{line}", "public-interface", "models")


SHIPMENT = (
    "from django.db import models\n\nfrom apps.orders.models import Order\n\n"
    "class Shipment(models.Model):\n"
    "    order = models.ForeignKey(Order, on_delete=models.CASCADE)\n"
    "    item = models.ForeignKey('inventory.Item', on_delete=models.CASCADE)\n"
)


def write_charge_query(project: SampleProject, imports: str, query: str) -> None:
    """billing's Charge, related to orders' Shipment (which is related to inventory's
    Item), and a function returning `query` on line 9 of apps/billing/charges.py when
    `imports` is two lines."""
    project.declare("orders", "model_relations_to", "inventory")
    project.write("apps/orders/shipments.py", SHIPMENT)
    project.write(
        "apps/billing/charges.py",
        f"from django.db import models\n{imports}\n\n"
        "class Charge(models.Model):\n"
        "    shipment = models.ForeignKey('orders.Shipment', on_delete=models.CASCADE)\n\n"
        f"def rows():\n    return {query}\n",
    )


@pytest.mark.parametrize(
    "query",
    [
        "Charge.objects.filter(Q(shipment__item__name='x'))",
        "Charge.objects.filter(Q(id=1) | Q(shipment__item__name='x'))",
        "Charge.objects.annotate(stock=F('shipment__item__name'))",
        "Charge.objects.annotate(n=Count('shipment__item'))",
        "Charge.objects.aggregate(top=Max('shipment__item__stock'))",
        "Charge.objects.prefetch_related(Prefetch('shipment__item'))",
        "Charge._default_manager.filter(shipment__item__name='x')",
        "get_object_or_404(Charge, shipment__item__name='x')",
        "Charge.objects.filter(**{'shipment__item__name': 'x'})",
    ],
)
def test_query_lookups_in_expressions_shortcuts_and_literal_keywords_are_read(
    project: SampleProject, query: str
) -> None:
    imports = (
        "from django.db.models import Count, F, Max, Prefetch, Q\n"
        "from django.shortcuts import get_object_or_404"
    )
    write_charge_query(project, imports, query)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/billing/charges.py:9", "model-relations", "inventory.Item")


@pytest.mark.parametrize(
    "query",
    [
        "Charge.objects.annotate(label=Value('shipment__item__name'))",
        "Charge.objects.filter(shipment__note=Value('shipment__item__name'))",
        "Charge.objects.annotate(label=models.Value('shipment__item__name'))",
    ],
)
def test_a_string_passed_as_a_value_is_no_lookup(project: SampleProject, query: str) -> None:
    write_charge_query(project, "from django.db.models import Value", query)

    assert check(project, "--no-cache") == (0, ANY_REPORT)


def test_a_subquery_is_read_against_its_own_model(project: SampleProject) -> None:
    project.declare("orders", "model_relations_to", "inventory")
    project.write("apps/orders/shipments.py", SHIPMENT)
    project.write(
        "apps/billing/charges.py",
        "from django.db import models\n\n"
        "class Charge(models.Model):\n"
        "    shipment = models.ForeignKey('orders.Shipment', on_delete=models.CASCADE)\n"
        "    order = models.ForeignKey('orders.Order', on_delete=models.CASCADE)\n\n"
        "def rows():\n    return Charge.objects.filter(\n"
        "        order__in=Charge.objects.filter(shipment__order__quantity=1).values('id')\n"
        "    )\n",
    )

    assert check(project, "--no-cache") == (0, ANY_REPORT)


@pytest.mark.parametrize(
    "code",
    [
        "import sys\n\nITEM = sys.modules['apps.inventory.models'].Item\n",
        "import importlib\n\nM = importlib.import_module('.models', 'apps.inventory')\n",
        "import importlib\n\nM = importlib.import_module(name='apps.inventory.models')\n",
        "from django.utils.module_loading import import_string\n\n"
        "ITEM = import_string(dotted_path='apps.inventory.models.Item')\n",
        "import builtins\n\nM = builtins.__import__('apps.inventory.models', fromlist=['Item'])\n",
        "import pkgutil\n\nITEM = pkgutil.resolve_name('apps.inventory.models:Item')\n",
    ],
)
def test_modules_named_by_string_to_the_import_machinery_are_read(
    project: SampleProject, code: str
) -> None:
    project.write("apps/billing/load.py", code)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/billing/load.py:3", "public-interface", "apps.inventory.models")


def test_sql_run_by_a_migration_is_read(project: SampleProject) -> None:
    project.write("apps/billing/migrations/__init__.py", "")
    project.write(
        "apps/billing/migrations/0002_view.py",
        "from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.RunSQL('CREATE VIEW stock AS SELECT * FROM inventory_item'),\n"
        "    ]\n",
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, "apps/billing/migrations/0002_view.py:5", "public-interface", "inventory_item"
    )


def test_a_relation_field_inside_a_class_body_block_is_read(project: SampleProject) -> None:
    line = project.append(
        "apps/billing/models.py",
        "\nclass StockLink(models.Model):\n    if True:\n"
        "        item = models.ForeignKey('inventory.Item', on_delete=models.CASCADE)\n",
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/models.py:{line + 3}", "model-relations", "inventory.Item"
    )


@pytest.mark.parametrize(
    "exposed",
    [
        "from apps.inventory import models as _models\n\nStockItem = getattr(_models, 'Item')\n",
        "from apps.inventory.models import Item\n\nStockItem, _unused = Item, None\n",
        "from apps.inventory.models import Item\n\nStockItem = Item.objects\n",
    ],
)
def test_a_public_module_handing_out_a_model_by_getattr_unpacking_or_its_manager_is_followed(
    project: SampleProject, exposed: str
) -> None:
    project.append("apps/inventory/services.py", f"\n{exposed}")
    line = project.append(
        "apps/orders/services.py", "\nfrom apps.inventory.services import StockItem\n"
    )

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/orders/services.py:{line + 1}", "public-interface", "inventory.Item"
    )


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("from django.urls import include, path\n\n"
         "urlpatterns = [path('stock/', include('apps.inventory.api.urls'))]\n",
         "apps.inventory.api.urls"),
        ("from modulith import worker\n\n"
         "def later():\n    worker.run('apps.inventory.tasks.recount', 1)\n",
         "apps.inventory.tasks"),
        ("from django_q.tasks import async_task\n\n"
         "def later():\n    async_task('apps.inventory.tasks.recount', 1)\n",
         "apps.inventory.tasks"),
    ],
)  # fmt: skip
def test_modules_and_tasks_named_by_string_to_django_and_the_worker_are_read(
    project: SampleProject, code: str, what: str
) -> None:
    project.write("apps/inventory/api/__init__.py", "")
    project.write("apps/inventory/api/urls.py", "urlpatterns = []\n")
    project.write("apps/inventory/tasks.py", "def recount(n):\n    return n\n")
    project.write("apps/billing/later.py", code)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert "[public-interface] 'billing' imports " + what in report


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("\nfrom apps.billing.constants import STOCK_MODEL\n\n\n"
         "class StockLink(models.Model):\n"
         "    item = models.ForeignKey(STOCK_MODEL, on_delete=models.CASCADE)\n", 6),
        ("\nfrom django.db.models.signals import post_save\n"
         "from django.dispatch import receiver\n\n"
         "from apps.billing.constants import STOCK_MODEL\n\n\n"
         "@receiver(post_save, sender=STOCK_MODEL)\n"
         "def on_stock(sender, **kwargs):\n    pass\n", 8),
    ],
)  # fmt: skip
def test_a_model_named_through_an_imported_string_constant_is_followed(
    project: SampleProject, code: str, rule: int
) -> None:
    project.write("apps/billing/constants.py", "STOCK_MODEL = 'inventory.Item'\n")
    line = project.append("apps/billing/models.py", code)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(
        report, f"apps/billing/models.py:{line + rule - 1}", "model-relations", "inventory.Item"
    )
