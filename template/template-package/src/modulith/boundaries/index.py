"""The project as the rules see it, built from every module's facts (scan.py).

It knows the domains and their declarations, which classes are models (also through
base classes defined elsewhere), which tables they own, and what a name that a public
module hands out really is; from that it lists every reach from one domain (or core)
into another.
"""

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from modulith.boundaries.rules import (
    GET_MODEL,
    HANDED_OUT,
    IMPORT,
    RECEIVER,
    RELATION,
    TABLE,
    Reach,
    Violation,
    domain_of,
    is_public,
    is_test,
)
from modulith.boundaries.scan import Module
from modulith.boundaries.source import module_name, read_module
from modulith.domains import Declaration

DJANGO_MODEL = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]*")


def is_django_model(base: str) -> bool:
    """`models.Model`, or a model Django ships (`AbstractUser`, `AbstractBaseUser`, ...)."""
    return base in DJANGO_MODEL or (base.startswith("django.contrib.") and ".models." in base)


class Project:
    def __init__(self, modules: Mapping[str, Module]) -> None:
        self.modules = modules
        self.declarations, self.labels, self.problems = declarations_from(modules)
        self.label_by_domain = {domain: label for label, domain in self.labels.items()}
        self.models = self.find_models()
        self.tables = self.find_tables()

    def resolve(self, name: str) -> str:
        """Follow re-exports to where a name is defined:
        `apps.inventory.services.Inventory` -> `apps.inventory.models.Inventory`."""
        for _ in range(20):  # re-exports never chain this deep; a loop stops here
            module, rest = self.split(name)
            if module is None or not rest:
                return name
            first, _, tail = rest.partition(".")
            target = self.modules[module].facts.exports.get(first)
            if target is None or target == f"{module}.{first}":
                return name
            name = f"{target}.{tail}" if tail else target
        return name

    def split(self, name: str) -> tuple[str | None, str]:
        """(longest module prefix, the rest): `apps.x.services.Item.objects` ->
        (`apps.x.services`, `Item.objects`)."""
        prefix, rest = name, ""
        while prefix:
            if prefix in self.modules:
                return prefix, rest
            prefix, _, last = prefix.rpartition(".")
            rest = f"{last}.{rest}" if rest else last
        return None, name

    def find_models(self) -> dict[str, tuple[str, bool, str]]:
        """Every model class: qualified name -> (app label, concrete, db_table)."""
        classes = {
            f"{name}.{cls}": (tuple(map(self.resolve, bases)), has_fields, concrete, table)
            for name, module in self.modules.items()
            for cls, _, bases, has_fields, concrete, table in module.facts.classes
        }
        models = {
            name
            for name, (bases, has_fields, _, _) in classes.items()
            if has_fields or any(map(is_django_model, bases))
        }
        changed = True
        while changed:  # models whose base is a model of the project, to any depth
            changed = False
            for name, (bases, *_) in classes.items():
                if name not in models and not models.isdisjoint(bases):
                    models.add(name)
                    changed = True
        return {name: (self.label_of(name), *classes[name][2:]) for name in models}

    def label_of(self, name: str) -> str:
        """The app label of the app a module or class belongs to (core for `core.…`)."""
        domain = domain_of(name)
        if domain is None:
            return name.partition(".")[0]
        return self.label_by_domain.get(domain, domain)

    def find_tables(self) -> dict[str, tuple[str, str]]:
        """Table name (lowercase) -> (domain, model label), for every domain's models."""
        tables = {}
        for name, (label, concrete, db_table) in self.models.items():
            domain = domain_of(name)
            module, _, cls = name.rpartition(".")
            if domain is None or not concrete:
                continue
            table = (db_table or f"{label}_{cls.lower()}").lower()
            tables[table] = (domain, f"{label}.{cls}")
            for _, model, field, kind, _, through in self.modules[module].facts.relations:
                if model == cls and kind.endswith("ManyToManyField") and not through:
                    tables[f"{table}_{field}".lower()] = (domain, f"{label}.{cls}")
        return tables

    def model_target(self, reference: str) -> tuple[str, str] | None:
        """(domain, model label) of the model a reference names, when a domain owns it."""
        kind, _, name = reference.partition(":")
        if kind == "str":
            label, dot, _ = name.partition(".")
            domain = self.labels.get(label)
            return (domain, name) if dot and domain else None
        name = self.resolve(name)
        domain = domain_of(name)
        if domain is None or name not in self.models:
            return None
        return domain, f"{self.label_of(name)}.{name.rpartition('.')[2]}"

    def reaches(self) -> Iterator[Reach]:
        """Every place where code of a domain, or of core, reaches into another domain."""
        for name, module in sorted(self.modules.items()):
            source = domain_of(name) or ("core" if name.partition(".")[0] == "core" else None)
            if source is None or (source != "core" and source not in self.declarations):
                continue  # config wires the domains together; that is its job
            file, test = module.file, is_test(name)
            found = {
                Reach(file, line, source, target, kind, what, detail, test)
                for line, target, kind, what, detail in self.reaches_from(module, source)
                if target != source and target in self.declarations
            }
            yield from sorted(found)

    def reaches_from(self, module: Module, source: str) -> Iterator[tuple[int, str, str, str, str]]:
        """(line, target domain, kind, what, detail) of each of the module's reaches."""
        facts = module.facts
        own = f"apps.{source}."
        for line, imported, name in facts.imports:
            if imported.startswith("apps") and not f"{imported}.".startswith(own):
                yield from self.imported(line, imported, name, "")
        for line, kind, first, second in facts.by_name:
            if kind == "get_model":
                domain = self.labels.get(first)
                if domain:
                    yield line, domain, GET_MODEL, f"{first}.{second}", ""
            elif kind == "import_module" or first in self.modules:
                yield from self.imported(line, first, "", f"by name ({kind})")
            else:
                imported, _, name = first.rpartition(".")
                yield from self.imported(line, imported, name, f"by name ({kind})")
        for line, chain in facts.attributes:
            public, rest = self.split(chain)
            if public and rest and is_public(public):
                yield from self.handed_out(line, public, rest.partition(".")[0])
        yield from self.relations(module)
        yield from self.raw_sql(module)

    def imported(
        self, line: int, imported: str, name: str, how: str
    ) -> Iterator[tuple[int, str, str, str, str]]:
        """`from imported import name` (name "" for `import imported`)."""
        if name and f"{imported}.{name}" in self.modules:
            imported, name = f"{imported}.{name}", ""
        target = domain_of(imported)
        if target is None:
            return
        yield line, target, IMPORT, imported, how
        if name and is_public(imported):
            yield from self.handed_out(line, imported, name)

    def handed_out(
        self, line: int, public: str, name: str
    ) -> Iterator[tuple[int, str, str, str, str]]:
        """A model, or a private module, that the public module `public` exposes as `name`."""
        target = domain_of(public) or ""
        found = self.resolve(f"{public}.{name}")
        if found in self.models and domain_of(found) == target:
            what = f"{self.label_of(found)}.{found.rpartition('.')[2]}"
            yield line, target, HANDED_OUT, f"the model {what}", public
        elif found in self.modules and domain_of(found) == target and not is_public(found):
            yield line, target, HANDED_OUT, f"the module {found}", public

    def relations(self, module: Module) -> Iterator[tuple[int, str, str, str, str]]:
        """Relation fields of the module's models, and its signal receivers."""
        facts, name = module.facts, module.name
        label = self.label_of(name)
        for line, model, field, kind, target, through in facts.relations:
            if f"{name}.{model}" not in self.models:
                continue
            detail = f"{label}.{model}.{field} ({kind.rpartition('.')[2]})"
            for reference in filter(None, (target, through)):
                found = self.model_target(reference)
                if found:
                    yield line, found[0], RELATION, found[1], detail
        for line, function, signal, sender in facts.receivers:
            found = self.model_target(sender)
            if found:
                yield line, found[0], RECEIVER, found[1], f"{function} to {signal}"

    def raw_sql(self, module: Module) -> Iterator[tuple[int, str, str, str, str]]:
        """Tables of any domain named in the module's SQL-looking strings (best effort)."""
        for line, text in module.facts.sql:
            for word in sorted(set(IDENTIFIER.findall(text.lower()))):
                if word in self.tables:
                    domain, model = self.tables[word]
                    yield line, domain, TABLE, word, model


def declarations_from(
    modules: Mapping[str, Module],
) -> tuple[dict[str, Declaration], dict[str, str], list[Violation]]:
    """Each domain's declarations read from its `apps.py`, its app label, and problems."""
    domains = sorted(
        parts[1]
        for parts in (name.split(".") for name in modules)
        if len(parts) == 3 and parts[0] == "apps" and parts[2] == "apps"
    )
    declarations, labels, problems = {}, {}, []
    for domain in domains:
        module = modules[f"apps.{domain}.apps"]
        declaration, label, found = read_config(domain, module, set(domains))
        if declaration is not None:
            declarations[domain], labels[label] = declaration, domain
        problems += found
    return declarations, labels, problems


def read_config(
    domain: str, module: Module, domains: set[str]
) -> tuple[Declaration | None, str, list[Violation]]:
    """The domain's Declaration and app label, from the literal values in its AppConfig."""
    if module.facts.config is None:
        problem = declaration_problem(
            module.file, 1, domain, f"no AppConfig subclass in {module.file}.",
            f"define the domain's AppConfig in {module.file}, as a generated domain does.",
        )  # fmt: skip
        return None, domain, [problem]
    config_class, line, values = module.facts.config
    problems = []

    def names(key: str) -> frozenset[str]:
        at, value = values.get(key, (line, ()))
        if isinstance(value, tuple | list) and all(v in domains for v in value):
            return frozenset(map(str, value))
        problems.append(invalid_declaration(domain, module.file, at, key, value, domains))
        return frozenset()

    at, strict = values.get("strict", (line, False))
    if not isinstance(strict, bool):
        problems.append(invalid_declaration(domain, module.file, at, "strict", strict, ()))
        strict = False
    name, label = (values.get(key, (line, None))[1] for key in ("name", "label"))
    if not isinstance(label, str):
        label = name.rpartition(".")[2] if isinstance(name, str) else domain
    declaration = Declaration(
        domain=domain,
        depends_on=names("depends_on"),
        model_relations_to=names("model_relations_to"),
        config_class=config_class,
        config_file=Path(module.file),
        strict=strict,
    )
    return declaration, label, problems


def invalid_declaration(
    domain: str, file: str, line: int, name: str, value: object, domains: Iterable[str]
) -> Violation:
    if value is None:
        message = f"{name} is not a literal: the boundary check reads apps.py without running it."
        fix = f"write {name} as a literal, e.g. {name} = ('inventory',)."
    elif isinstance(value, tuple | list):
        unknown = sorted(set(map(str, value)) - set(domains))
        names = ", ".join(map(repr, unknown))
        message = f"{name} names {names}: not a domain in apps/."
        guesses = [g for u in unknown for g in difflib.get_close_matches(u, domains, n=1)]
        fix = f"name packages in apps/ that have an apps.py, or drop {names}."
        if guesses:
            fix = f"did you mean {' and '.join(map(repr, guesses))}?"
    else:
        message = f"{name} = {value!r} has the wrong type."
        fix = "strict is True or False; depends_on and model_relations_to are tuples of names."
    return declaration_problem(file, line, domain, message, fix)


def declaration_problem(file: str, line: int, domain: str, message: str, fix: str) -> Violation:
    return Violation(file, line, "declarations", domain, "", message, message, fix)


def read_declarations(
    root: Path, domains: Iterable[str]
) -> tuple[dict[str, Declaration], list[Violation]]:
    """Declarations of these domains, read from the sources of their `apps.py` files."""
    modules = {}
    for domain in domains:
        file = f"apps/{domain}/apps.py"
        name, is_package = module_name(file)
        facts = read_module((root / file).read_bytes(), name, is_package)
        modules[name] = Module(name, file, facts)
    declarations, _, problems = declarations_from(modules)
    return declarations, problems
