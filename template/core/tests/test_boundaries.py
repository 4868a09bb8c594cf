from pathlib import Path

from core.boundaries.checks import check_model_relations
from core.boundaries.rules import Import, check_cycles, check_imports, find_cycles
from core.domains import Declaration


def declare(domain: str, *depends_on: str) -> Declaration:
    return Declaration(
        domain=domain,
        depends_on=frozenset(depends_on),
        model_relations_to=frozenset(),
        config_class=f"{domain.title()}Config",
        config_file=Path(f"apps/{domain}/apps.py"),
    )


def imports(importer: str, imported: str, line: int = 1) -> Import:
    file = importer.replace(".", "/") + ".py"
    return Import(location=f"{file}:{line}", importer=importer, imported=imported)


DECLARATIONS = {"orders": declare("orders", "inventory"), "inventory": declare("inventory")}


def test_declared_import_of_a_public_module_is_kept() -> None:
    found = [imports("apps.orders.services", "apps.inventory.services")]

    assert check_imports(found, DECLARATIONS) == []


def test_imports_inside_one_domain_are_its_own_business() -> None:
    found = [imports("apps.orders.api.views", "apps.orders.models")]

    assert check_imports(found, DECLARATIONS) == []


def test_private_module_of_another_domain_is_a_violation() -> None:
    found = [imports("apps.orders.services", "apps.inventory.models", line=7)]

    (violation,) = check_imports(found, DECLARATIONS)

    assert violation.rule == "public-interface"
    assert violation.location == "apps/orders/services.py:7"


def test_undeclared_domain_is_a_violation() -> None:
    found = [imports("apps.inventory.services", "apps.orders.services")]

    (violation,) = check_imports(found, DECLARATIONS)

    assert violation.rule == "declared-dependency"
    assert "add 'orders' to depends_on in InventoryConfig" in violation.fix


def test_core_importing_a_domain_is_a_violation() -> None:
    found = [imports("core.views", "apps.orders.services")]

    assert [v.rule for v in check_imports(found, DECLARATIONS)] == ["core-neutral"]


def test_cycles_are_found_in_the_direction_of_the_dependencies() -> None:
    edges = [("c", "a"), ("b", "c"), ("a", "b"), ("x", "a")]

    assert find_cycles(edges) == [["a", "b", "c", "a"]]


def test_overlapping_cycles_are_each_reported() -> None:
    edges = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")]

    assert sorted(find_cycles(edges)) == [["a", "b", "a"], ["b", "c", "b"]]


def test_a_dependency_graph_without_cycles_has_none() -> None:
    assert find_cycles([("a", "b"), ("b", "c"), ("a", "c")]) == []


def test_a_cycle_reports_each_step_with_its_evidence() -> None:
    declarations = {**DECLARATIONS, "inventory": declare("inventory", "orders")}
    found = [imports("apps.inventory.services", "apps.orders.services", line=3)]

    (violation,) = check_cycles(found, declarations)

    assert violation.rule == "no-cycles"
    assert "apps/inventory/services.py:3 imports apps.orders.services" in violation.message
    assert "declared in apps/orders/apps.py" in violation.message


def test_generated_models_keep_to_their_domains() -> None:
    assert check_model_relations() == []
