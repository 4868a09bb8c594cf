"""The one model of the project: a module per Python file, its owner, and what it says.

Built from the facts the one source reader (source.py) reads from every file (scan.py),
it serves the boundary check (the reaches between owners, judged by rules.py), the
module map (each domain's services, events, subscriptions and tasks: architecture/)
and test selection (the domain graph: architecture/graph.py).

Every file has exactly one owner: a domain (`apps/<domain>/`, a package with an
`apps.py`), the shared code (`core/`, the top-level `conftest.py`), the composition root
(`config/`, `manage.py` and the other top-level files, and top-level folders that are no
package, such as `scripts/`), or the template's package (`template-package/`, not
read). A file that fits none (code in `apps/__init__.py`, a package in `apps/` without
`apps.py`, a stray top-level package) is reported.

Names are followed as Python resolves them: through re-exports, aliases and star
imports, whoever re-exports them. So a model that the composition root or shared code
hands on is still the domain's model when another domain takes it.
"""

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from modulith.boundaries.names import domain_of, is_public, is_test
from modulith.boundaries.rules import (
    APP_LABEL,
    GET_MODEL,
    HANDED_OUT,
    IMPORT,
    LOOKUP,
    RECEIVER,
    RELATION,
    TABLE,
    Reach,
    Violation,
)
from modulith.boundaries.scan import Module, Scan, scan_project
from modulith.boundaries.source import module_name, read_module
from modulith.domains import Declaration

DJANGO_MODEL = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
SHARED = "core"  # the owner of shared code
ROOT = "config"  # the owner of the composition root
SHARED_FILES = frozenset({"conftest.py"})  # top-level files that are shared code
Row = tuple[int, str, str, str, str]  # (line, target domain, kind, what, detail)


def is_django_model(base: str) -> bool:
    """`models.Model`, or a model Django ships (`AbstractUser`, `AbstractBaseUser`, ...)."""
    return base in DJANGO_MODEL or (base.startswith("django.contrib.") and ".models." in base)


@dataclass(frozen=True, order=True)
class Function:
    """A public function, e.g. `create_order(*, name: str) -> OrderData`."""

    name: str
    signature: str  # "(*, name: str) -> OrderData"
    is_async: bool = False

    def __str__(self) -> str:
        return f"{'async ' if self.is_async else ''}{self.name}{self.signature}"


@dataclass(frozen=True, order=True)
class EventType:
    """An event class of a domain's `events` module, with its fields."""

    name: str
    fields: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(self.fields)})"


@dataclass(frozen=True, order=True)
class EventHandler:
    """A handler of `subscriber` (`@subscriber(Event)`) for an event `publisher` defines."""

    subscriber: str
    publisher: str
    event: str
    handler: str
    durable: bool


class Project:
    def __init__(
        self, modules: Mapping[str, Module], walk_problems: Iterable[tuple[str, int, str]] = ()
    ) -> None:
        self.modules = modules
        self._star_names: dict[str, frozenset[str]] = {}  # memo, used from here on
        self._resolved: dict[str, str] = {}  # memo of resolve: many names are bases of many classes
        self._relation_graph: dict[str, dict[str, str]] | None = None
        self.declarations, self.labels, self.problems = declarations_from(modules)
        self.label_by_domain = {domain: label for label, domain in self.labels.items()}
        files = {module.file for module in modules.values()}
        # Top-level folders that are no package (scripts/, docs/ with Sphinx's conf.py):
        # programs run as they are, like manage.py, never imported by the app.
        self.program_folders = {
            file.split("/")[0]
            for file in files
            if "/" in file and f"{file.split('/')[0]}/__init__.py" not in files
        } - {"apps", "core", "config"}
        self.owners = {name: self.owner_of(module) for name, module in modules.items()}
        self.problems += self.ownership_problems(walk_problems)
        self.models = self.find_models()
        self.tables = self.find_tables()

    @classmethod
    def read(cls, root: Path, use_cache: bool = True) -> "Project":
        """The project at `root`, every file read (through the cache)."""
        found: Scan = scan_project(root, use_cache)
        return cls(found.modules, found.problems)

    # Owners

    def owner_of(self, module: Module) -> str:
        """A domain's name, SHARED, ROOT, or "" for a file no one owns."""
        parts = module.file.split("/")
        if parts[0] == "apps":
            if len(parts) > 2 and parts[1] in self.declarations:
                return parts[1]
            return ""
        if parts[0] == "core" or (len(parts) == 1 and parts[0] in SHARED_FILES):
            return SHARED
        if parts[0] == "config" or len(parts) == 1 or parts[0] in self.program_folders:
            return ROOT
        return ""

    def ownership_problems(self, walk_problems: Iterable[tuple[str, int, str]]) -> list[Violation]:
        found = [
            Violation(file, line, "ownership", "", "", f"{file}: {what}", f"{file} {what}.",
                      "make it readable Python, or remove it: every file is judged.")
            for file, line, what in walk_problems
        ]  # fmt: skip
        for name, module in sorted(self.modules.items()):
            facts, file = module.facts, module.file
            if facts.error is not None:
                line, message = facts.error
                found.append(Violation(
                    file, line, "syntax", self.owners[name], "", "cannot be parsed",
                    f"{file} cannot be parsed: {message}.",
                    "fix the syntax: the check judges every other file meanwhile.",
                ))  # fmt: skip
            if self.owners[name] or (file == "apps/__init__.py" and not facts.has_code):
                continue
            found.append(Violation(file, 1, "ownership", "", "", "no owner", *unowned(file)))
        return found

    # Names

    def resolve(self, name: str) -> str:
        """Follow re-exports (aliases and star imports too) to where a name is defined:
        `apps.inventory.services.Inventory` -> `apps.inventory.models.Inventory`."""
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = self.follow(name)
        return found

    def follow(self, name: str) -> str:
        for _ in range(20):  # re-exports never chain this deep; a loop stops here
            module, rest = self.split(name)
            if module is None or not rest:
                return name
            first, _, tail = rest.partition(".")
            facts = self.modules[module].facts
            target = facts.exports.get(first)
            if target is None:
                star = next((s for s in facts.stars if first in self.star_names(s)), None)
                target = f"{star}.{first}" if star else None
            if target is None or target == f"{module}.{first}":
                return name
            name = f"{target}.{tail}" if tail else target
        return name

    def star_names(self, module: str, depth: int = 0) -> frozenset[str]:
        """The names `from module import *` binds: its `__all__`, else its public names."""
        if module in self._star_names:
            return self._star_names[module]
        facts = self.modules[module].facts if module in self.modules else None
        if facts is None or depth > 10:
            return frozenset()
        if facts.all_names is not None:
            names = frozenset(facts.all_names)
        else:
            names = frozenset(n for n in facts.exports if not n.startswith("_"))
            for star in facts.stars:
                names |= self.star_names(star, depth + 1)
        self._star_names[module] = names
        return names

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

    # Models and tables

    def find_models(self) -> dict[str, tuple[str, bool, str, bool]]:
        """Every model class: qualified name -> (app label, concrete, db_table, managed)."""
        classes = {
            f"{name}.{cls}": (tuple(map(self.resolve, bases)), has_fields, concrete, table, managed)
            for name, module in self.modules.items()
            for cls, _, bases, has_fields, concrete, table, managed in module.facts.classes
        }
        models = {
            name
            for name, (bases, has_fields, *_) in classes.items()
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
        """Table name (lowercase) -> (domain, model label), for every domain's managed models."""
        tables = {}
        for name, (label, concrete, db_table, managed) in self.models.items():
            domain = domain_of(name)
            module, _, cls = name.rpartition(".")
            if domain is None or not concrete or not managed:
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
        if name not in self.models:  # a string constant of another module, perhaps
            module, rest = self.split(name)
            text = dict(self.modules[module].facts.model_labels).get(rest) if module else None
            return self.model_target(f"str:{text}") if text else None
        domain = domain_of(name)
        if domain is None:
            return None
        return domain, f"{self.label_of(name)}.{name.rpartition('.')[2]}"

    # Reaches

    def reaches(self) -> Iterator[Reach]:
        """Every place where code of a domain, or shared code, reaches into another domain.

        The composition root wires the domains together, which is its job: its own
        reaches are not judged, but what it hands on to a domain is (see `laundered`).
        """
        for name, module in sorted(self.modules.items()):
            source = self.owners[name]
            if source not in self.declarations and source != SHARED:
                continue
            rows = [
                row
                for row in self.reaches_from(module, source)
                if row[1] != source and row[1] in self.declarations
            ]
            if rows:
                file, test = module.file, is_test(name)
                yield from sorted({
                    Reach(file, line, source, target, kind, what, detail, test)
                    for line, target, kind, what, detail in rows
                })  # fmt: skip

    def reaches_from(self, module: Module, source: str) -> Iterator[Row]:
        """(line, target domain, kind, what, detail) of each of the module's reaches."""
        facts = module.facts
        imported_modules = set()
        for line, imported, name in facts.imports:
            imported_modules.add(imported)
            if name and name != "*":
                imported_modules.add(f"{imported}.{name}")
            if name == "*":
                yield from self.star_import(line, imported, source)
            else:
                yield from self.imported(line, imported, name, "", source)
        for line, kind, first, second in facts.by_name:
            if kind == "get_model":
                domain = self.labels.get(first)
                if domain:
                    yield line, domain, GET_MODEL, f"{first}.{second}", ""
            elif kind == "get_models":
                domain = self.labels.get(first)
                if domain:
                    yield line, domain, GET_MODEL, f"every model of {first}", ""
            elif kind == "import_module" or first in self.modules:
                yield from self.imported(line, first, "", f"by name ({kind})", source)
            else:
                imported, _, name = first.rpartition(".")
                yield from self.imported(line, imported, name, f"by name ({kind})", source)
        for line, chain in facts.attributes:
            yield from self.attribute(line, chain, source, imported_modules)
        # Most modules hold none of these: their generators are not even started.
        if facts.relations or facts.receivers:
            yield from self.relations(module)
        if facts.sql:
            yield from self.raw_sql(module)
        if facts.classes:
            yield from self.foreign_tables(module)
        if facts.app_labels:
            yield from self.foreign_labels(module)
        if facts.lookups:
            yield from self.lookups(module)

    def imported(self, line: int, imported: str, name: str, how: str, source: str) -> Iterator[Row]:
        """`from imported import name` (name "" for `import imported`)."""
        if name and f"{imported}.{name}" in self.modules:
            imported, name = f"{imported}.{name}", ""
        target = domain_of(imported)
        if target is None:
            if name:
                yield from self.laundered(line, imported, name, source)
            return
        if target == source:
            if name and is_test(imported):  # a test helper: what it hands on is followed
                yield from self.laundered(line, imported, name, source)
            return
        yield line, target, IMPORT, imported, how
        if name and is_public(imported):
            yield from self.handed_out(line, imported, name)

    def star_import(self, line: int, imported: str, source: str) -> Iterator[Row]:
        """`from imported import *`: every name it binds is taken."""
        target = domain_of(imported)
        if target is not None and target != source:
            yield line, target, IMPORT, imported, "(star import)"
        if target is None or (target != source and is_public(imported)):
            for name in sorted(self.star_names(imported)):
                if target is None:
                    yield from self.laundered(line, imported, name, source)
                else:
                    yield from self.handed_out(line, imported, name)

    def attribute(self, line: int, chain: str, source: str, imported: set[str]) -> Iterator[Row]:
        """`module.Name...` through a module of the project, `getattr` with a literal too."""
        module, rest = self.split(chain)
        if module is None:
            return
        target = domain_of(module)
        first = rest.partition(".")[0]
        if target is None:
            if first:
                yield from self.laundered(line, module, first, source)
            return
        if target == source:
            if first and is_test(module):  # a test helper: what it hands on is followed
                yield from self.laundered(line, module, first, source)
            return
        if module not in imported:  # reached through `import apps` or a parent package
            yield line, target, IMPORT, module, "(by attribute)"
        if first and is_public(module):
            yield from self.handed_out(line, module, first)

    def laundered(self, line: int, via: str, name: str, source: str) -> Iterator[Row]:
        """A name taken from code no domain owns (core, config, `apps/__init__.py`, a
        top-level module) or from a domain's own tests, that stands for something of
        another domain: a model or private code is still private, and a domain used is
        still used."""
        found = self.resolve(f"{via}.{name}")
        target = domain_of(found)
        if target is None or target == source:
            return
        inner = self.split(found)[0]
        if found in self.models:
            what = f"the model {self.label_of(found)}.{found.rpartition('.')[2]}"
            yield line, target, HANDED_OUT, what, via
        elif inner is not None and not is_public(inner):
            yield line, target, HANDED_OUT, f"{found} (private)", via
        elif inner is not None:
            yield line, target, IMPORT, inner, f"through {via}"

    def handed_out(self, line: int, public: str, name: str) -> Iterator[Row]:
        """A model, or a private module, that the public module `public` exposes as `name`."""
        target = domain_of(public) or ""
        found = self.resolve(f"{public}.{name}")
        if found not in self.models and found not in self.modules:
            found = self.model_within(found)  # `stock = Item.objects`: the model still
        if found in self.models and domain_of(found) == target:
            what = f"{self.label_of(found)}.{found.rpartition('.')[2]}"
            yield line, target, HANDED_OUT, f"the model {what}", public
        elif found in self.modules and domain_of(found) == target and not is_public(found):
            yield line, target, HANDED_OUT, f"the module {found}", public

    def model_within(self, name: str) -> str:
        """The model a name reaches through (`….Item.objects` -> `….Item`), else the name."""
        prefix = name
        while "." in prefix:
            prefix = prefix.rpartition(".")[0]
            if prefix in self.models:
                return prefix
        return name

    def relations(self, module: Module) -> Iterator[Row]:
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

    def raw_sql(self, module: Module) -> Iterator[Row]:
        """Tables of any domain named in the SQL the module passes to the database."""
        for line, words in module.facts.sql:
            for word in sorted(set(words)):
                if word in self.tables:
                    domain, model = self.tables[word]
                    yield line, domain, TABLE, word, model

    def foreign_tables(self, module: Module) -> Iterator[Row]:
        """An unmanaged model whose `db_table` is another domain's table."""
        for cls, line, _, _, _, table, managed in module.facts.classes:
            if not managed and table and table.lower() in self.tables:
                domain, model = self.tables[table.lower()]
                yield line, domain, TABLE, table.lower(), f"{model}, as the table of {cls}"

    def foreign_labels(self, module: Module) -> Iterator[Row]:
        """A model whose `Meta.app_label` is another domain's: Django files it (its table,
        its relations) under that domain, from code that is not that domain's."""
        for line, cls, label in module.facts.app_labels:
            domain = self.labels.get(label)
            if domain:
                yield line, domain, APP_LABEL, label, cls

    def model_named(self, reference: str, owner: str = "") -> str | None:
        """The qualified name of the model a reference names (`"self"` and a bare class
        name count from `owner`, as Django reads them)."""
        kind, _, name = reference.partition(":")
        if kind == "py":
            name = self.resolve(name)
            return name if name in self.models else None
        if name == "self":
            return owner or None
        label, dot, cls = name.rpartition(".")
        label = label if dot else self.label_of(owner)
        return self.models_by_label().get((label, cls.lower()))

    def models_by_label(self) -> dict[tuple[str, str], str]:
        return {
            (label, name.rpartition(".")[2].lower()): name
            for name, (label, *_) in self.models.items()
        }

    def relation_graph(self) -> dict[str, dict[str, str]]:
        """Each model's relation fields: model -> field -> the model it relates to."""
        if self._relation_graph is None:
            graph: dict[str, dict[str, str]] = {}
            for name, module in self.modules.items():
                for _, cls, field, _, target, _ in module.facts.relations:
                    owner = f"{name}.{cls}"
                    found = self.model_named(target, owner) if owner in self.models else None
                    if found:
                        graph.setdefault(owner, {})[field] = found
            self._relation_graph = graph
        return self._relation_graph

    def lookups(self, module: Module) -> Iterator[Row]:
        """Query lookups that walk on from another domain's model into the models it
        relates to (best effort: forward relation fields only, from a model's manager)."""
        if not module.facts.lookups:
            return
        graph = self.relation_graph()
        for line, reference, path in module.facts.lookups:
            current = self.model_named(reference)
            for segment in path.split("__"):
                origin = current
                current = graph.get(current or "", {}).get(segment)
                if current is None:
                    break
                target = domain_of(current)
                # A hop from the domain's own model is its own relation field, judged
                # where it is declared, and a hop within one domain stays in it: only
                # a hop from another domain's model into a third one's is a reach.
                came_from = domain_of(origin or "")
                if target is not None and came_from not in {domain_of(module.name), target}:
                    what = f"{self.label_of(current)}.{current.rpartition('.')[2]}"
                    yield line, target, LOOKUP, what, path

    # Definitions, for the map

    def domain_modules(self, domain: str, name: str) -> list[Module]:
        """`apps/<domain>/<name>.py`, or every module of the package `apps/<domain>/<name>/`."""
        prefix = f"apps.{domain}.{name}"
        return [
            module
            for key, module in sorted(self.modules.items())
            if key == prefix or key.startswith(f"{prefix}.")
        ]

    def functions(self, domain: str, name: str) -> list[Function]:
        """Public module-level functions of `apps.<domain>.<name>`, sorted."""
        return sorted(
            Function(*row) for m in self.domain_modules(domain, name) for row in m.facts.functions
        )

    def public_classes(self, domain: str, name: str) -> list[str]:
        return sorted(c for m in self.domain_modules(domain, name) for c in m.facts.public_classes)

    def event_types(self, domain: str) -> list[EventType]:
        """Classes deriving from DomainEvent, directly or through another event of the module."""
        found: dict[str, EventType] = {}
        for module in self.domain_modules(domain, "events"):
            for name, bases, fields in module.facts.class_fields:
                if any(base == "DomainEvent" or base in found for base in bases):
                    inherited = [f for base in bases if base in found for f in found[base].fields]
                    found[name] = EventType(name, (*inherited, *fields))
        return sorted(found.values())

    def event_handlers(self) -> list[EventHandler]:
        """Every `@subscriber(Event)` handler of a domain's code (tests aside), resolved
        through its imports: the publisher is the domain whose module the event is from."""
        found = []
        for name, module in self.modules.items():
            subscriber = self.owners[name]
            if subscriber not in self.declarations or is_test(name):
                continue
            for _, handler, event, durable in module.facts.subscriptions:
                resolved = self.resolve(event)
                publisher = domain_of(resolved) or domain_of(event)
                if publisher is not None:
                    last = resolved.rsplit(".", 1)[-1]
                    found.append(EventHandler(subscriber, publisher, last, handler, durable))
        return sorted(found)


def unowned(file: str) -> tuple[str, str]:
    """(message, fix) for a file that no owner claims."""
    parts = file.split("/")
    if file == "apps/__init__.py":
        return (
            "apps/__init__.py holds code: the apps package belongs to no domain, so "
            "nothing may live or be re-exported there.",
            "move the code into the domain it belongs to (or core/), and leave "
            "apps/__init__.py empty.",
        )
    if parts[0] == "apps":
        return (
            f"{file} lies in apps/{parts[1]}/, which is not a domain (no apps.py): its "
            "code belongs to no one, so no rule could judge it.",
            f"add apps/{parts[1]}/apps.py (python manage.py startdomain), or move the "
            "code into a domain or core/.",
        )
    return (
        f"{file} lies in {parts[0]}/, a top-level package that is neither a domain, "
        "core/ (shared code) nor config/ (the composition root).",
        "move it into a domain under apps/, into core/ or config/, or make "
        f"{parts[0]}/ a folder of programs (no __init__.py).",
    )


def declarations_from(
    modules: Mapping[str, Module],
) -> tuple[dict[str, Declaration], dict[str, str], list[Violation]]:
    """Each domain's declarations read from its `apps.py`, its app label, and problems."""
    domains = sorted(
        parts[1]
        for parts in (name.split(".") for name in modules if name.endswith(".apps"))
        if len(parts) == 3 and parts[0] == "apps" and parts[2] == "apps"
    )
    declarations, labels, problems = {}, {}, []
    known = set(domains)
    for domain in domains:
        module = modules[f"apps.{domain}.apps"]
        declaration, label, found = read_config(domain, module, known)
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
