"""The boundary rules, as pure functions over reaches and declarations (no Django, no files).

A reach is one place where code of a domain (or of core) touches another domain. The
model (model.py) finds them in the source; these functions decide which break a rule.
"""

import graphlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from modulith.boundaries.names import PUBLIC_MODULES, is_public
from modulith.domains import Declaration

# What a reach is, from the most to the least direct.
IMPORT = "import"  # imports a module of the target (also by name, through importlib)
GET_MODEL = "get_model"  # fetches one of its models by name from the app registry
HANDED_OUT = "handed_out"  # takes a model (or private module) that a public module exposes
TABLE = "table"  # names one of its tables in raw SQL
RELATION = "relation"  # a model field relates to one of its models
RECEIVER = "receiver"  # a signal receiver listens to one of its models
LOOKUP = "lookup"  # a query lookup walks through relations into one of its models
APP_LABEL = "app_label"  # a model declares its app label, so Django files it there


@dataclass(frozen=True, order=True)
class Reach:
    """Code of `source` (a domain, or "core") reaches into the domain `target`."""

    file: str  # "apps/orders/stock.py"
    line: int
    source: str
    target: str
    kind: str
    what: str  # a module, a model label ("inventory.Inventory") or a table name
    detail: str = ""  # how: "by name", the public module, the field or receiver
    test: bool = False  # in test code: not a dependency, never part of a cycle

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Violation:
    file: str  # "apps/orders/stock.py"
    line: int
    rule: str
    source: str  # the domain (or "core") whose code breaks the rule
    target: str  # the domain it reaches, "" when none
    crossing: str  # what crosses, without the line: stays put while the file is edited
    message: str
    fix: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def render(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}\n    fix: {self.fix}"


def uses_domain(reach: Reach) -> bool:
    """Whether the reach makes its source depend on the target (rules 2 and 3)."""
    return reach.kind in {IMPORT, GET_MODEL} and not reach.test


def check_reaches(
    reaches: Iterable[Reach],
    declarations: Mapping[str, Declaration],
    public_modules: frozenset[str] = PUBLIC_MODULES,
) -> list[Violation]:
    """Rules public-interface, declared-dependency, core-neutral and model-relations."""
    violations = []
    for reach in reaches:
        if reach.source == "core":
            violations.append(core_reaches_a_domain(reach))
            continue
        declaration = declarations[reach.source]
        if reach.kind in {RELATION, RECEIVER, LOOKUP}:
            if reach.target not in declaration.model_relations_to:
                violations.append(undeclared_model_relation(reach, declaration))
            continue
        if reach.kind != IMPORT or not is_public(reach.what, public_modules):
            violations.append(private_reach(reach, public_modules))
        if uses_domain(reach) and reach.target not in declaration.depends_on:
            violations.append(undeclared_dependency(reach, declaration))
    return violations


def describe(reach: Reach) -> str:
    """What the reach does, in words that stay true while the file is edited."""
    if reach.kind == IMPORT:
        return f"imports {reach.what}" + (f" {reach.detail}" if reach.detail else "")
    if reach.kind == GET_MODEL:
        return f"fetches the model {reach.what} by name (get_model)"
    if reach.kind == HANDED_OUT:
        return f"takes {reach.what} from {reach.detail}"
    if reach.kind == TABLE:
        return f"names the table {reach.what} (model {reach.detail}) in raw SQL"
    if reach.kind == RELATION:
        return f"relates {reach.detail} to {reach.what}"  # "orders.Line.item (ForeignKey)"
    if reach.kind == LOOKUP:
        return f"walks the query lookup {reach.detail} into {reach.what}"
    if reach.kind == APP_LABEL:
        return f"declares the model {reach.detail} with Meta.app_label = {reach.what!r}"
    return f"connects {reach.detail} of {reach.what}"  # "on_saved to post_save"


def violation(reach: Reach, rule: str, message: str, fix: str) -> Violation:
    return Violation(
        file=reach.file,
        line=reach.line,
        rule=rule,
        source=reach.source,
        target=reach.target,
        crossing=describe(reach),
        message=message,
        fix=fix,
    )


def core_reaches_a_domain(reach: Reach) -> Violation:
    target = reach.target
    fix = f"move this code into apps/{target}/, or have {target} pass core what it needs."
    if reach.kind in {RELATION, RECEIVER, LOOKUP}:
        fix = (
            f"move the model or receiver into apps/{reach.target}/, or keep a plain id "
            "column in core and let the domain resolve it."
        )
    return violation(
        reach,
        "core-neutral",
        f"core {describe(reach)}: core is shared by every domain and must not depend "
        f"on '{reach.target}'.",
        fix,
    )


def private_reach(reach: Reach, public: frozenset[str]) -> Violation:
    target = reach.target
    allowed = " or ".join(f"apps.{target}.{name}" for name in sorted(public))
    services = f"apps/{target}/services.py"
    if reach.kind == IMPORT:
        message = f"'{reach.source}' {describe(reach)}, which is private to '{target}'."
        fix = f"import {allowed} instead (add the function you need to {services})."
    elif reach.kind == HANDED_OUT:
        message = (
            f"'{reach.source}' {describe(reach)}: it is private to '{target}', even when a "
            "public module hands it out."
        )
        fix = (
            f"call a function of {reach.detail} that returns plain data (e.g. a frozen "
            f"dataclass), and stop exposing {reach.what.rpartition('.')[2]} there."
        )
    elif reach.kind == APP_LABEL:
        message = (
            f"'{reach.source}' {describe(reach)}: Django files it under '{target}', whose "
            "models are private to it."
        )
        fix = f"drop the app_label, or move the model into apps/{target}/ if it is {target}'s."
    elif reach.kind == TABLE:
        message = (
            f"'{reach.source}' {describe(reach)}, a table private to '{target}' "
            "(found in string literals: best effort)."
        )
        fix = f"move the query into apps/{target}/ behind a function in {services}, and call it."
    else:
        message = f"'{reach.source}' {describe(reach)}, a model private to '{target}'."
        fix = f"call a function in {services} instead (add one that returns plain data)."
    return violation(reach, "public-interface", message, fix)


def undeclared_dependency(reach: Reach, declaration: Declaration) -> Violation:
    return violation(
        reach,
        "declared-dependency",
        f"'{declaration.domain}' uses '{reach.target}' ({reach.what}) without declaring it.",
        f"add '{reach.target}' to depends_on in {declaration.config_class} "
        f"({declaration.config_file}), or drop the use.",
    )


def undeclared_model_relation(reach: Reach, declaration: Declaration) -> Violation:
    target = reach.target
    if reach.kind == RELATION:
        field = reach.detail.split(" ")[0].rpartition(".")[2]
        instead = (
            f"keep {target}'s ids instead of a relation (e.g. {field}_id = "
            f"models.BigIntegerField()) and read them through apps.{target}.services"
        )
    elif reach.kind == LOOKUP:
        instead = (
            f"query {target}'s data through apps.{target}.services (with the ids this "
            "domain holds) instead of walking relations into its models"
        )
    else:
        instead = f"have '{target}' publish an event from apps.{target}.events and subscribe to it"
    return violation(
        reach,
        "model-relations",
        f"'{reach.source}' {describe(reach)}, a model private to '{target}'.",
        f"{instead}; or, to tie the two on purpose, add '{target}' to model_relations_to "
        f"in {declaration.config_class} ({declaration.config_file}).",
    )


def check_cycles(
    reaches: Iterable[Reach], declarations: Mapping[str, Declaration]
) -> list[Violation]:
    """Rule no-cycles over declared dependencies and actual uses between domains."""
    evidence: dict[tuple[str, str], str] = {}
    where: dict[tuple[str, str], tuple[str, int]] = {}
    for declaration in declarations.values():
        for target in sorted(declaration.depends_on):
            evidence[(declaration.domain, target)] = f"declared in {declaration.config_file}"
            where[(declaration.domain, target)] = (str(declaration.config_file), 1)
    for reach in sorted(reaches):
        if uses_domain(reach) and reach.source != "core":
            evidence[(reach.source, reach.target)] = f"{reach.location} {describe(reach)}"
            where[(reach.source, reach.target)] = (reach.file, reach.line)

    violations = []
    for cycle in find_cycles(evidence):
        steps = list(itertools.pairwise(cycle))
        path = " -> ".join(cycle)
        violations.append(
            Violation(
                *where[steps[0]],
                rule="no-cycles",
                source=cycle[0],
                target=cycle[1],
                crossing=f"cycle {path}",
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
