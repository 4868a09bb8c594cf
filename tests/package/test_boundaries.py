from pathlib import Path

from modulith.boundaries.checks import check_model_relations
from modulith.boundaries.rules import (
    GET_MODEL,
    IMPORT,
    RELATION,
    Reach,
    check_cycles,
    check_reaches,
    find_cycles,
)
from modulith.boundaries.source import read_module
from modulith.domains import Declaration


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
    assert facts.sql == ((13, "SELECT id FROM inventory_item"),)
    assert facts.relations == (
        (17, "Line", "item", "django.db.models.ForeignKey", "str:inventory.Item", ""),
    )


def test_generated_models_keep_to_their_domains() -> None:
    assert check_model_relations() == []
