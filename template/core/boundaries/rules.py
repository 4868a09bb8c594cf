"""The import rules, as pure functions over imports and declarations (no Django, no grimp)."""

import graphlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.domains import Declaration

PUBLIC_MODULES = frozenset({"services", "events"})


@dataclass(frozen=True, order=True)
class Import:
    """One import statement: `importer` (a module) imports `imported` at `location`."""

    location: str  # "apps/orders/services.py:3"
    importer: str
    imported: str


@dataclass(frozen=True, order=True)
class Violation:
    location: str
    rule: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}\n    fix: {self.fix}"


def domain_of(module: str) -> str | None:
    """`apps.orders.api.views` -> `orders`; None outside `apps`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "apps" else None


def is_public(module: str, public_modules: frozenset[str] = PUBLIC_MODULES) -> bool:
    """Whether `module` is a domain's public module itself, e.g. `apps.orders.services`."""
    parts = module.split(".")
    return len(parts) == 3 and parts[2] in public_modules


def check_imports(
    imports: Iterable[Import],
    declarations: Mapping[str, Declaration],
    public_modules: frozenset[str] = PUBLIC_MODULES,
) -> list[Violation]:
    """Rules 1 (public-interface), 2 (declared-dependency) and 4 (core-neutral)."""
    violations = []
    for found in imports:
        target = domain_of(found.imported)
        source = domain_of(found.importer)
        if target is None or source == target:
            continue
        if found.importer.split(".")[0] == "core":
            violations.append(core_imports_a_domain(found, target))
            continue
        if source is None:
            continue
        if not is_public(found.imported, public_modules):
            violations.append(private_import(found, source, target, public_modules))
        declaration = declarations[source]
        if target not in declaration.depends_on:
            violations.append(undeclared_dependency(found, declaration, target))
    return violations


def core_imports_a_domain(found: Import, target: str) -> Violation:
    return Violation(
        location=found.location,
        rule="core-neutral",
        message=f"core imports {found.imported}: core is shared by every domain "
        f"and must not depend on '{target}'.",
        fix=f"move this code into apps/{target}/, or have {target} pass core what it needs.",
    )


def private_import(found: Import, source: str, target: str, public: frozenset[str]) -> Violation:
    allowed = " or ".join(f"apps.{target}.{name}" for name in sorted(public))
    return Violation(
        location=found.location,
        rule="public-interface",
        message=f"'{source}' imports {found.imported}, which is private to '{target}'.",
        fix=f"import {allowed} instead (add the function you need to apps/{target}/services.py).",
    )


def undeclared_dependency(found: Import, declaration: Declaration, target: str) -> Violation:
    return Violation(
        location=found.location,
        rule="declared-dependency",
        message=f"'{declaration.domain}' uses '{target}' ({found.imported}) without declaring it.",
        fix=f"add '{target}' to depends_on in {declaration.config_class} "
        f"({declaration.config_file}), or drop the import.",
    )


def check_cycles(
    imports: Iterable[Import], declarations: Mapping[str, Declaration]
) -> list[Violation]:
    """Rule 3 (no-cycles) over declared dependencies and actual imports between domains."""
    evidence: dict[tuple[str, str], str] = {}
    for declaration in declarations.values():
        for target in declaration.depends_on:
            evidence[(declaration.domain, target)] = f"declared in {declaration.config_file}"
    for found in sorted(imports):
        importer, imported = domain_of(found.importer), domain_of(found.imported)
        if importer and imported and importer != imported:
            evidence[(importer, imported)] = f"{found.location} imports {found.imported}"

    violations = []
    for cycle in find_cycles(evidence):
        steps = list(itertools.pairwise(cycle))
        path = " -> ".join(cycle)
        violations.append(
            Violation(
                location=evidence[steps[0]].split(" ")[0],
                rule="no-cycles",
                message=f"domains depend on each other in a circle: {path}. "
                + "; ".join(f"{a} -> {b}: {evidence[(a, b)]}" for a, b in steps),
                fix="move what both need into one of them, or let one react to the "
                "other's events instead of calling it.",
            )
        )
    return violations


def find_cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Every independent cycle, each as [a, b, ..., a] starting from its smallest name.

    graphlib (standard library) reports one cycle per sort: drop one edge of each
    found cycle and sort again, so overlapping cycles are still reported once each.
    """
    remaining = sorted(set(edges))
    cycles = []
    while True:
        graph: dict[str, list[str]] = {}
        for source, target in remaining:
            graph.setdefault(source, []).append(target)
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as error:
            # graphlib lists the cycle against the edges' direction: b, a, ..., b.
            nodes = list(reversed(error.args[1]))[:-1]
            start = nodes.index(min(nodes))
            cycle = [*nodes[start:], *nodes[:start], nodes[start]]
            cycles.append(cycle)
            remaining.remove((cycle[0], cycle[1]))
        else:
            return cycles
