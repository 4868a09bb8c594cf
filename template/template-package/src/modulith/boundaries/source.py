"""The one source reader: what one Python file says, read from its syntax tree without running it.

Both the boundary check and the module map (and so test selection) read files here
only; the model of the project (model.py) is built from these facts.

A walk over the statements collects imports (also inside functions and `if
TYPE_CHECKING:`), model classes with their relation fields, signal receivers, event
subscriptions and, for a domain's `services`, `events`, `tasks` and `handlers`
modules, the public definitions the map lists. Names are scope-aware: an import inside
one function means nothing in another. Expressions are walked only where the file can
hold what they would add, which keeps a cold run fast: calls naming modules and models
by string (importlib, `import_string`, Django's app registry, `ContentType`, `getattr`),
signal connections, attribute chains through the project's modules, and the SQL passed
to `cursor.execute`, `raw`, `RawSQL` or `extra`. Facts are plain tuples so the scan can
cache them (scan.py).
"""

import ast
import bisect
import itertools
import operator
import re
import sys
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from modulith.boundaries.names import is_test

ROOT_PACKAGES = frozenset({"apps", "core", "config"})
# Modules that are never the project's: the top-level module a `from … import` names
# otherwise may be (a top-level file hands on what it imports, as config/ does).
EXTERNAL = frozenset({*sys.stdlib_module_names, "django", "modulith", "__future__"})
PROJECT_ROOTS = tuple(ROOT_PACKAGES)  # the prefixes of every name in the project
RELATION_FIELDS = frozenset(
    {"ForeignKey", "OneToOneField", "ManyToManyField", "ForeignObject", "GenericRelation"}
)
# The options of a model's Meta that are read: the others are never evaluated.
META_OPTIONS = frozenset({"abstract", "proxy", "db_table", "managed", "app_label"})
DECLARATIONS = frozenset({"name", "label", "depends_on", "model_relations_to", "strict"})
# The modules of a domain whose definitions the map lists (canvas.py).
DEFINING_MODULES = frozenset({"services", "events", "tasks", "handlers"})
# The decorator that registers an event handler, by the names it is imported under.
SUBSCRIBER = frozenset({"modulith.events.subscriber", "modulith.events.subscriptions.subscriber"})
# Django's app registry, by the names it is imported under.
REGISTRY = frozenset({"django.apps.apps", "django.apps.registry.apps"})
CONTENT_TYPE = "django.contrib.contenttypes.models.ContentType"
# The registry's methods that fetch models by name, by the names they are imported under
# (`get = apps.get_model` binds one).
REGISTRY_CALLS = frozenset(
    f"{registry}.{method}"
    for registry in REGISTRY
    for method in ("get_model", "get_registered_model")
)
# A model's managers, and the calls on a manager that give a manager or query again.
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
# Words without which no query is written: a manager, or a shortcut taking the model.
MANAGER_WORDS = (b".objects", b"._default_manager", b"._base_manager", b"_or_404(")
SHORTCUTS = frozenset({"django.shortcuts.get_object_or_404", "django.shortcuts.get_list_or_404"})
MANAGER_CALLS = frozenset({"db_manager", "using", "all", "filter", "exclude"})
# Calls whose string arguments are SQL: the only strings read as SQL.
SQL_METHODS = frozenset({"execute", "executemany", "raw", "extra"})
SQL_PARAMETERS = frozenset({"params", "select_params", "param_list"})
SQL_IN_SOURCE = (b"execute", b"raw(", b"extra(", b"RawSQL", b"RunSQL")
# A table-like word in SQL: an identifier with an underscore.
TABLE_WORD = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_$]*")
CALLS_BY_NAME = (
    b"get_model", b"get_registered_model", b"all_models", b"import_module", b"import_string",
    b"__import__", b"connect(", b"getattr(", b"natural_key", b"app_label",
    b"app_config", b"models_module", b"resolve_name", b"modules[",
    b"\"apps.", b"'apps.",
)  # fmt: skip
# Calls that import what a string names: (kind of import, as by_name records it).
STRING_IMPORTS = {
    "django.urls.include": "import_module",  # include("apps.inventory.api.urls")
    "django.conf.urls.include": "import_module",
    "modulith.worker.run": "import_string",  # a task, by its dotted path
    "modulith.worker.resolve_task": "import_string",
    "django_q.tasks.async_task": "import_string",
    "django_q.tasks.schedule": "import_string",
}
# A query lookup crossing a relation: `order__item` (not `__init__`, `__name__`).
LOOKUP_IN_SOURCE = re.compile(rb"[a-z0-9]__[a-z]")
QUERY_METHODS = frozenset({
    "filter", "exclude", "get", "get_or_create", "update_or_create", "order_by", "values",
    "values_list", "select_related", "prefetch_related", "only", "defer", "annotate",
    "aggregate", "distinct", "update", "first", "last", "all", "none", "count", "exists",
})  # fmt: skip
# Bytes a name is made of, and a dot: what may not come right before a word of its own.
NAME_BYTES = frozenset(
    bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
)
MODEL_LABEL = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*\Z")  # "inventory.Item"
# A name followed by a dot or a call, not inside a longer name or after a dot: the words
# `heat` looks for, indexed in one pass once a module binds many names.
NAME_USED = re.compile(rb"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*[.(]")
SEARCHES_BEFORE_INDEX = 32  # searches of the whole source before one pass indexes it
SMALL_SCOPE = 256  # names a body's scope copies from the one around it: more are read through
MAX_SQL_WORDS = 64  # table-like words kept per SQL call: a generated blob stays small
# What the extraction report reads at call sites: transactions, settings, loops.
ATOMIC = frozenset({"django.db.transaction.atomic", "django.db.transaction.Atomic"})
SETTINGS = "django.conf.settings"
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
ASSIGNMENTS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign})
FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
# Kinds of nodes as tuples: `ast.For | ast.While` would build a union at each isinstance.
LOOPS = (ast.While, ast.For, ast.AsyncFor)
WITHS = (ast.With, ast.AsyncWith)
TRIES = (ast.Try, ast.TryStar)
SEQUENCES = (ast.List, ast.Tuple)


class ModuleFacts(NamedTuple):
    """Everything the model needs from one module, as plain data (see the field comments).

    A model reference is `"str:inventory.Inventory"` (named by string, as Django allows)
    or `"py:apps.inventory.models.Inventory"` (a Python name, qualified through imports).
    """

    # (line, module, name): `from module import name`; name "" for `import module`,
    # "*" for a star import. Only imports of the project's own packages, and the
    # `from … import` of any module beyond the standard library and Django (a top-level
    # module of the project may hand a model on).
    imports: tuple[tuple[int, str, str], ...]
    # (line, kind, first, second): "import_module"/"import_string" (dotted name, ""),
    # "get_model" (app label, model name) and "get_models" (app label, ""): named by
    # string literals through importlib, Django's app registry or ContentType.
    by_name: tuple[tuple[int, str, str, str], ...]
    # Names bound at module level -> what they stand for, e.g. "Inventory" ->
    # "apps.inventory.models.Inventory" (classes defined here point to themselves).
    exports: dict[str, str]
    # (name, line, qualified bases, has model fields, concrete, db_table or "", managed).
    classes: tuple[tuple[str, int, tuple[str, ...], bool, bool, str, bool], ...]
    # (line, class, field, field type, target reference, `through` reference or "").
    relations: tuple[tuple[int, str, str, str, str, str], ...]
    # (line, receiving function, signal, sender reference).
    receivers: tuple[tuple[int, str, str, str], ...]
    # (line, qualified chain) for attribute chains rooted at a module of the project
    # (outside the module's own domain), also `getattr(module, "Name")`.
    attributes: tuple[tuple[int, str], ...]
    # (line, table-like words) of the SQL passed to execute/raw/RawSQL/extra.
    sql: tuple[tuple[int, tuple[str, ...]], ...]
    # The AppConfig subclass, if any: (class, line, {declaration: (line, literal value)}),
    # the value None where it is not a literal.
    config: tuple[str, int, dict[str, tuple[int, object]]] | None
    # Modules star-imported at module level: their public names are exported too.
    stars: tuple[str, ...] = ()
    # Definitions of a domain's services/events/tasks/handlers modules, for the map:
    # (name, signature, is_async) of public functions; names of public classes; and
    # (name, base names, fields) of every class.
    functions: tuple[tuple[str, str, bool], ...] = ()
    public_classes: tuple[str, ...] = ()
    class_fields: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    # (line, handler, qualified event, durable) of each `@subscriber(Event)` handler.
    subscriptions: tuple[tuple[int, str, str, bool], ...] = ()
    # (line, model reference, lookup path "order__item__name") of ORM lookups that
    # cross at least one relation, on `Model.objects` query chains.
    lookups: tuple[tuple[int, str, str], ...] = ()
    # Whether the module holds any statement beyond a docstring and `__future__` imports.
    has_code: bool = False
    # The names of a literal `__all__`, else None.
    all_names: tuple[str, ...] | None = None
    # (line, callee, calling function, inside transaction.atomic, in a loop, atomic block)
    # of each call of a name imported from a domain (`inventory.reserve(...)` ->
    # "apps.inventory.services.reserve"); the calling function is "<module>", "f",
    # "Class.method" or "f.inner"; the block numbers the outermost atomic block of the
    # module the call is in (0: none), so calls in one transaction share it.
    calls: tuple[tuple[int, str, str, bool, bool, int], ...] = ()
    # (line, name) of each `settings.NAME` read.
    settings: tuple[tuple[int, str], ...] = ()
    # A migration's literal `dependencies`: (app label, migration name) pairs.
    dependencies: tuple[tuple[str, str], ...] = ()
    # (line, class, app label) of each model class whose Meta declares its `app_label`.
    app_labels: tuple[tuple[int, str, str], ...] = ()
    # (name, "label.Model") of module-level string constants shaped like a model's label:
    # another module may name a relation's target or a sender through them.
    model_labels: tuple[tuple[str, str], ...] = ()
    # (line, message) when Python cannot parse the file; every other field is then empty.
    error: tuple[int, str] | None = None


EMPTY = ModuleFacts((), (), {}, (), (), (), (), (), None)


def module_name(relative: str) -> tuple[str, bool]:
    """`apps/orders/api/views.py` -> (`apps.orders.api.views`, False); packages give True."""
    name = relative.removesuffix(".py").replace("/", ".")
    if name.endswith(".__init__"):
        return name.removesuffix(".__init__"), True
    return name, False


def unparsable(line: int, message: str) -> ModuleFacts:
    return ModuleFacts((), (), {}, (), (), (), (), (), None, error=(line, message))


def read_module(source: bytes, module: str, is_package: bool) -> ModuleFacts:
    """Facts of one module's source; raises SyntaxError for code Python cannot parse."""
    if not source or source.isspace():  # as `not source.strip()`, without copying it
        return EMPTY  # a package's empty `__init__.py`: a quarter of a project's files
    tree = ast.parse(source)
    calls = word_offsets(source, CALLS_BY_NAME)  # one search per word, also heating
    sql = word_offsets(source, SQL_IN_SOURCE)
    queries = (
        b"__" in source
        and any(word in source for word in MANAGER_WORDS)
        and relations_possible(source)
    )
    reader = _Reader(module, is_package, source, calls=bool(calls), sql=bool(sql), queries=queries)
    reader.heat_at([*calls, *sql, *(word_offsets(source, [b"__"]) if queries else ())])
    reader.module_body(tree.body)
    return reader.facts()


def relations_possible(source: bytes) -> bool:
    """Whether a query lookup may cross a relation: a `__` outside dunder names."""
    return LOOKUP_IN_SOURCE.search(source) is not None


def word_offsets(source: bytes, words: Sequence[bytes], boundary: bool = False) -> list[int]:
    """Where these words start in the source (with `boundary`: not inside a longer name
    or after a dot). Found by plain searches, fast on any file."""
    offsets = []
    for word in words:
        at = source.find(word)
        while at != -1:
            if not (boundary and at and source[at - 1 : at] in NAME_BYTES):
                offsets.append(at)
            at = source.find(word, at + len(word))
    return offsets


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class Site(NamedTuple):
    """Where a statement runs: its function, loops around it, and the atomic blocks open."""

    function: str  # "<module>", "f", "Class.method", "f.inner"
    loops: int
    blocks: tuple[int, ...]  # the numbers of the atomic blocks open, outermost first


class Scope(dict[str, str]):
    """The names of a function or class body: its own, then those of the scope around
    it, read through rather than copied (a copy per function made a module of many
    functions quadratic). A name the body unbinds hides the outer one."""

    __slots__ = ("hidden", "outer")

    def __init__(self, outer: dict[str, str]) -> None:
        super().__init__()
        self.outer = outer
        self.hidden: set[str] = set()

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return default if name in self.hidden else self.outer.get(name, default)

    def __contains__(self, name: object) -> bool:
        if dict.__contains__(self, name):
            return True
        return name not in self.hidden and name in self.outer

    def __setitem__(self, name: str, target: str) -> None:
        dict.__setitem__(self, name, target)
        self.hidden.discard(name)

    def pop(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = self.get(name, default)
        dict.pop(self, name, None)
        self.hidden.add(name)
        return found


def scope_in(outer: dict[str, str]) -> dict[str, str]:
    """The names of a body inside `outer`: a copy of a small scope (cheaper to read),
    else a Scope reading through it (so many functions cost no copy each)."""
    return dict(outer) if type(outer) is dict and len(outer) <= SMALL_SCOPE else Scope(outer)


class HotLines(bytearray):
    """The lines worth walking, a byte per line, 1 where marked (empty, and so false,
    until a line is): marking costs the lines marked and asking (`find(1, first, last
    + 1)`) the lines asked about, never every line marked so far."""

    def __init__(self, source: bytes) -> None:
        super().__init__()
        self.source = source
        self.starts: list[int] = []  # where each line starts, found at the first mark

    def mark(self, offsets: list[int]) -> None:
        if not offsets:
            return
        if not self.starts:  # one pass in C: each line's length and its newline
            lengths = map(operator.add, map(len, self.source.split(b"\n")), itertools.repeat(1))
            self.starts = list(itertools.accumulate(lengths, initial=0))
            self.extend(bytes(len(self.starts) + 1))
        starts = self.starts
        for offset in offsets:
            self[bisect.bisect_right(starts, offset)] = 1


def migration_dependencies(node: ast.expr) -> list[tuple[str, str]]:
    """The (app label, migration) pairs of a literal `dependencies` list."""
    value = literal(node)
    entries = value if isinstance(value, list | tuple) else ()
    return [
        (str(entry[0]), str(entry[1]))
        for entry in entries
        if isinstance(entry, tuple | list) and len(entry) == 2
    ]


class _Reader:
    def __init__(
        self,
        module: str,
        is_package: bool,
        source: bytes = b"",
        *,
        calls: bool = False,
        sql: bool = False,
        queries: bool = False,
    ) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        parts = module.split(".")
        self.own = f"apps.{parts[1]}." if len(parts) > 1 and parts[0] == "apps" else None
        self.defining = len(parts) >= 3 and parts[0] == "apps" and parts[2] in DEFINING_MODULES
        self.migration = len(parts) == 4 and parts[0] == "apps" and parts[2] == "migrations"
        self.module_prefix = f"{module}."
        # Call sites matter to the extraction report, which leaves tests and migrations out.
        self.sites = not (self.migration or is_test(module))
        self.source, self.calls, self.sql_calls, self.queries = source, calls, sql, queries
        self.names: dict[str, str] = {}  # the current scope's bindings
        self.exports: dict[str, str] = {}  # the module scope's, which functions see
        self.constants: dict[str, str] = {}  # module-level string constants
        # Function bodies to read after the module's: (node, names in scope, context).
        self.pending: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, dict[str, str], Site]] = []
        self.enclosing: dict[str, str] | None = None  # in a class body: the scope around it
        self.arguments: ast.arguments | None = None  # of the function read (None: `apps` rebound)
        self.searches = 0  # searches of the whole source for names (heat)
        self.name_index: dict[bytes, list[int]] | None = None
        # Lines worth walking (hot_lines): where a word that matters stands, or a name
        # bound so far to the project's code or settings. A name is used after it is
        # bound (function bodies are read after the module), so one walk suffices.
        self.hot = HotLines(source)
        self.gateways: set[str] = set()  # names bound, in any scope, to the project's code
        self.callables: set[str] = set()  # names bound to a domain's code (call sites)
        self.settings_names: set[str] = set()  # names bound to django.conf.settings
        self.site = Site("<module>", 0, ())  # where the statements being read run
        self.blocks_opened = 0  # atomic blocks numbered so far
        self.has_code = False
        self.all_names: set[str] | None = None
        self.imports: list[tuple[int, str, str]] = []
        self.stars: list[str] = []
        self.by_name: list[tuple[int, str, str, str]] = []
        self.classes: list[tuple[str, int, tuple[str, ...], bool, bool, str, bool]] = []
        self.relations: list[tuple[int, str, str, str, str, str]] = []
        self.receivers: list[tuple[int, str, str, str]] = []
        self.attributes: list[tuple[int, str]] = []
        self.sql: list[tuple[int, tuple[str, ...]]] = []
        self.config: tuple[str, int, dict[str, tuple[int, object]]] | None = None
        # Module-level functions, by name: their signatures are laid out for public ones only.
        self.functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
        self.class_names: list[str] = []
        self.class_fields: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        self.subscriptions: list[tuple[int, str, str, bool]] = []
        self.lookups: list[tuple[int, str, str]] = []
        self.call_sites: list[tuple[int, str, str, bool, bool, int]] = []
        self.settings: list[tuple[int, str]] = []
        self.dependencies: list[tuple[str, str]] = []
        self.app_labels: list[tuple[int, str, str]] = []

    def facts(self) -> ModuleFacts:
        public = self.exports_name
        return ModuleFacts(
            tuple(self.imports),
            tuple(self.by_name),
            self.exports,
            tuple(self.classes),
            tuple(self.relations),
            tuple(self.receivers),
            tuple(dict.fromkeys(self.attributes)),
            tuple(self.sql),
            self.config,
            tuple(self.stars),
            tuple(
                sorted(
                    (name, signature(node), isinstance(node, ast.AsyncFunctionDef))
                    for name, node in self.functions
                    if public(name)
                )
            ),
            tuple(sorted(name for name in self.class_names if public(name))),
            tuple(self.class_fields),
            tuple(self.subscriptions),
            tuple(self.lookups),
            self.has_code,
            None if self.all_names is None else tuple(sorted(self.all_names)),
            calls=tuple(self.call_sites),
            settings=tuple(self.settings),
            dependencies=tuple(self.dependencies),
            app_labels=tuple(self.app_labels),
            model_labels=tuple(
                (name, text) for name, text in self.constants.items() if MODEL_LABEL.match(text)
            ),
        )

    def exports_name(self, name: str) -> bool:
        """Whether a module-level name is offered: listed in `__all__`, else not `_`-led."""
        return name in self.all_names if self.all_names is not None else not name.startswith("_")

    # Names

    def qualify(self, node: ast.expr | None) -> str | None:
        """The qualified name an expression stands for, through the imports in scope."""
        chain = dotted(node) if node is not None else None
        if chain is None:
            return None
        root, _, rest = chain.partition(".")
        target = self.names.get(root)
        return None if target is None else f"{target}.{rest}" if rest else target

    def reference(self, node: ast.expr | None) -> str | None:
        """A model reference: by string as Django reads it (also through a module-level
        constant), or by qualified name."""
        text = string(node)
        if text is None and isinstance(node, ast.Name) and node.id not in self.names:
            text = self.constants.get(node.id)
        if text is not None:
            return f"str:{text}"
        qualified = self.qualify(node)
        return f"py:{qualified}" if qualified else None

    def absolute(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        base = self.package.rsplit(".", level - 1)[0] if level > 1 else self.package
        return f"{base}.{module}" if module else base

    def outside(self, target: str) -> bool:
        """Whether a qualified name lies in the project, outside this module's domain."""
        root = target.partition(".")[0]
        return root in ROOT_PACKAGES and not (self.own and f"{target}.".startswith(self.own))

    def calls_into_public(self, target: str) -> bool:
        """Whether a name bound to `target` may call another domain's service or build a
        domain's event: `apps`, another domain's package or `services`, any domain's
        `events` (this module's own definitions aside)."""
        if not target.startswith("apps") or target.startswith(self.module_prefix):
            return False
        parts = target.split(".", 3)
        if parts[0] != "apps" or len(parts) < 3 or parts[2] == "events":
            return parts[0] == "apps"
        return parts[2] == "services" and not f"{target}.".startswith(self.own or "-")

    def bind(self, name: str, target: str) -> None:
        self.names[name] = target
        if self.names is self.exports:
            self.constants.pop(name, None)
        if target in REGISTRY_CALLS:  # `get = apps.get_model`: its calls fetch models
            self.heat([f"{name}(".encode()], boundary=True)
        if not target.startswith(PROJECT_ROOTS) and target != SETTINGS:
            return  # neither the project's code nor its settings: no word to heat
        if self.sites and name not in self.callables and self.calls_into_public(target):
            self.callables.add(name)
            self.heat([f"{name}.".encode(), f"{name}(".encode()], boundary=True)
        elif target == SETTINGS and name not in self.settings_names:
            self.settings_names.add(name)
            self.heat([f"{name}.".encode()], boundary=True)
        if self.outside(target) and not target.startswith("core") and name not in self.gateways:
            # core reaching a domain breaks core-neutral where it does so: what it
            # hands on needs no second report, so its names are no gateways.
            if not self.gateways:
                self.heat([b"getattr("])
            self.gateways.add(name)
            self.heat([f"{name}.".encode()], boundary=True)

    def heat(self, words: list[bytes], boundary: bool = False) -> None:
        """Walk the lines where these words stand too: the statements around them are
        the only ones whose expressions are walked. Past a few searches, a module that
        binds many names is indexed once, so the work stays linear in its size."""
        if boundary and self.searches >= SEARCHES_BEFORE_INDEX:
            if self.name_index is None:
                self.name_index = {}
                for match in NAME_USED.finditer(self.source):
                    self.name_index.setdefault(match.group(), []).append(match.start())
            if all(word.isascii() for word in words):
                self.heat_at([at for word in words for at in self.name_index.get(word, ())])
                return
        self.searches += 1
        self.heat_at(word_offsets(self.source, words, boundary))

    def heat_at(self, offsets: list[int]) -> None:
        """Walk the lines of these offsets in the source too."""
        self.hot.mark(offsets)

    # Statements

    def module_body(self, body: list[ast.stmt]) -> None:
        self.names = self.exports
        self.statements(body, depth=0, documented=True)
        self.has_code = any(not is_docstring_or_future(node) for node in body)
        done = 0  # function bodies, after the module: they see its final names
        while done < len(self.pending):
            node, parent, self.site = self.pending[done]
            done += 1
            self.names = scope_in(parent)
            self.arguments = node.args
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg):  # fmt: skip
                if arg is not None:
                    self.names.pop(arg.arg, None)
            self.statements(node.body, depth=1, documented=True)

    def statements(self, body: list[ast.stmt], depth: int, documented: bool = False) -> None:
        """Imports, classes and functions in `body`, and in nested blocks."""
        start = 1 if documented and body and is_docstring(body[0]) else 0
        for node in body[start:] if start else body:
            kind = type(node)  # the parser makes no subclasses: cheaper than isinstance
            if kind is ast.ImportFrom:
                self.add_import_from(node)  # type: ignore[arg-type]
            elif kind is ast.Import:
                self.add_import(node)  # type: ignore[arg-type]
            elif kind in ASSIGNMENTS:
                self.add_assignment(node, depth)  # type: ignore[arg-type]
            elif kind in FUNCTIONS:
                self.add_function(node, depth)  # type: ignore[arg-type]
            elif isinstance(node, ast.ClassDef):
                if self.hot:
                    keywords = (k.value for k in node.keywords)
                    self.expressions(*node.decorator_list, *node.bases, *keywords)
                self.add_class(node, depth)
            elif kind is ast.Expr or kind is ast.Return:
                if self.hot:
                    self.expressions(node.value)  # type: ignore[attr-defined]
            elif isinstance(node, ast.If):
                if self.hot:
                    self.expressions(node.test)
                self.statements(node.body, depth)
                self.statements(node.orelse, depth)
            elif isinstance(node, LOOPS):
                outside = self.site  # a loop's every part runs in the loop
                self.site = Site(outside.function, outside.loops + 1, outside.blocks)
                self.expressions(node.test if isinstance(node, ast.While) else node.iter)
                self.statements(node.body, depth)
                self.statements(node.orelse, depth)
                self.site = outside
            elif isinstance(node, WITHS):
                contexts = [item.context_expr for item in node.items]
                outside = self.site
                self.expressions(*contexts)
                self.site = self.within_atomic(contexts)
                self.statements(node.body, depth)
                self.site = outside
            elif isinstance(node, TRIES):
                self.statements(node.body, depth)
                for handler in node.handlers:
                    self.expressions(handler.type)
                    self.statements(handler.body, depth)
                self.statements(node.orelse, depth)
                self.statements(node.finalbody, depth)
            elif isinstance(node, ast.Match):
                self.expressions(node.subject)
                for case in node.cases:
                    self.expressions(case.guard)
                    if self.hot:  # `case models.Item(...)`, `case models.KIND`
                        patterns = ast.walk(case.pattern)
                        self.expressions(*(
                            p.cls if isinstance(p, ast.MatchClass) else p.value
                            for p in patterns
                            if isinstance(p, ast.MatchClass | ast.MatchValue)
                        ))  # fmt: skip
                    self.statements(case.body, depth)
            elif self.hot:  # raise, assert, del, ...: expressions only
                self.expressions(*(v for _, v in ast.iter_fields(node) if isinstance(v, ast.expr)))

    def add_assignment(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, depth: int) -> None:
        value = node.value
        if self.hot:
            self.expressions(value, node.annotation if type(node) is ast.AnnAssign else None)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        alias = None
        if isinstance(value, (ast.Name, ast.Attribute)) and not isinstance(node, ast.AugAssign):
            alias = self.qualify(value)
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "getattr"
            and not isinstance(node, ast.AugAssign)
        ):
            alias = self.getattr_target(value)  # `Item = getattr(models, "Item")`
        for target in targets:
            if self.migration and isinstance(target, ast.Name) and target.id == "dependencies":
                self.dependencies += migration_dependencies(value) if value else []
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                self.unpack(target, value)  # `Item, _ = models.Item, None`
            if not isinstance(target, ast.Name):
                if self.hot:
                    self.expressions(target)
            elif target.id == "__all__" and depth == 0:
                self.all_names = names_listed(node.value)
            elif alias is not None:
                self.bind(target.id, alias)  # `Item = services.Item`: an alias
            else:
                self.names.pop(target.id, None)  # a local shadows what it named
                if target.id == "apps":
                    self.arguments = None  # no longer the registry a migration receives
                text = string(node.value) if depth == 0 else None
                if text is not None and self.names is self.exports:
                    self.constants[target.id] = text

    def unpack(self, target: ast.Tuple, value: ast.Tuple) -> None:
        """Names bound by unpacking a tuple of the same length: each one as an alias."""
        if len(target.elts) != len(value.elts):
            return
        for name, part in zip(target.elts, value.elts, strict=True):
            if isinstance(name, ast.Name):
                alias = self.qualify(part) if isinstance(part, ast.Name | ast.Attribute) else None
                if alias is None:
                    self.names.pop(name.id, None)
                else:
                    self.bind(name.id, alias)

    def getattr_target(self, call: ast.Call) -> str | None:
        """`module.Name` for `getattr(module, "Name")` (the builtin, with a literal name)."""
        func = call.func
        if not (isinstance(func, ast.Name) and func.id == "getattr" and len(call.args) >= 2):
            return None
        base, name = self.qualify(call.args[0]), string(call.args[1])
        return f"{base}.{name}" if base and name and "getattr" not in self.names else None

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.partition(".")[0]
            if root in ROOT_PACKAGES:
                self.imports.append((node.lineno, alias.name, ""))
            self.bind(alias.asname or root, alias.name if alias.asname else root)

    def add_import_from(self, node: ast.ImportFrom) -> None:
        module = self.absolute(node.module, node.level)
        root = module.partition(".")[0]
        ours = root in ROOT_PACKAGES or not (root in EXTERNAL or node.level or not root)
        for alias in node.names:
            if ours:
                self.imports.append((node.lineno, module, alias.name))
            if alias.name == "*":
                if self.names is self.exports:
                    self.stars.append(module)
            else:
                self.bind(alias.asname or alias.name, f"{module}.{alias.name}")

    def add_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> None:
        arguments = node.args
        if self.hot:
            self.expressions(*node.decorator_list, *arguments.defaults, node.returns)
            self.expressions(*(d for d in arguments.kw_defaults if d is not None))
            every = (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                     arguments.vararg, arguments.kwarg)  # fmt: skip
            self.expressions(*[arg.annotation for arg in every if arg and arg.annotation])
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                func = self.qualify(decorator.func) or ""
                if func.endswith("dispatch.receiver"):
                    self.add_receiver(decorator, node.name)
                elif func in SUBSCRIBER and decorator.args:
                    self.add_subscription(decorator, node.name)
        if depth == 0 and self.defining:
            self.functions.append((node.name, node))
        self.bind(node.name, f"{self.module}.{node.name}")
        # The body runs in the function, inside its atomic decorator, if any.
        outer = self.site.function
        blocks = self.within_atomic(node.decorator_list).blocks
        name = node.name if outer == "<module>" else f"{outer}.{node.name}"
        # A method sees the names around its class, not the class body's.
        scope = self.names if self.enclosing is None else self.enclosing
        self.pending.append((node, scope, Site(name, 0, blocks)))

    def add_subscription(self, decorator: ast.Call, handler: str) -> None:
        event = self.qualify(decorator.args[0])
        durable = keyword(decorator, "durable")
        if event:
            is_durable = isinstance(durable, ast.Constant) and durable.value is True
            self.subscriptions.append((decorator.lineno, handler, event, is_durable))

    def add_class(self, node: ast.ClassDef, depth: int) -> None:
        bases = tuple(filter(None, map(self.qualify, node.bases)))
        if depth == 0:
            self.read_class(node, bases)
            if any(base.endswith("AppConfig") for base in bases):
                self.read_config(node)
            if self.defining:
                self.class_names.append(node.name)
                base_names = tuple(ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases)
                self.class_fields.append((node.name, base_names, tuple(fields_of(node))))
        scope, outside, enclosing = self.names, self.site, self.enclosing
        self.enclosing = scope if enclosing is None else enclosing
        self.names = scope_in(scope)  # a class body's names stay in it
        outer = outside.function  # its methods are `Class.method`
        name = node.name if outer == "<module>" else f"{outer}.{node.name}"
        self.site = Site(name, outside.loops, outside.blocks)
        self.statements(node.body, depth + 1, documented=True)
        self.names, self.site, self.enclosing = scope, outside, enclosing
        self.bind(node.name, f"{self.module}.{node.name}")

    def read_class(self, node: ast.ClassDef, bases: tuple[str, ...]) -> None:
        has_fields = False
        meta: dict[str, object] = {}
        for statement in class_statements(node.body):
            if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
                meta = {  # literals, or the module's string constants
                    name: (
                        self.constants.get(value.id)
                        if isinstance(value, ast.Name)
                        else literal(value)
                    )
                    for name, value in map(assignment, statement.body)
                    if name in META_OPTIONS and value
                }
            field, value = assignment(statement)
            if not (field and isinstance(value, ast.Call)):
                continue
            kind = self.qualify(value.func) or ""
            has_fields = has_fields or kind.startswith("django.db.models.")
            if kind.rpartition(".")[2] in RELATION_FIELDS:
                target = self.reference(value.args[0] if value.args else keyword(value, "to"))
                through = self.reference(keyword(value, "through")) or ""
                if target:
                    line = statement.lineno
                    self.relations.append((line, node.name, field, kind, target, through))
        concrete = not (meta.get("abstract") or meta.get("proxy"))
        table = meta.get("db_table")
        # A quoted name (`'"inventory_item"'`, `"schema"."table"`) is the table unquoted.
        table = table.replace('"', "").replace("`", "") if isinstance(table, str) else ""
        label = meta.get("app_label")
        if isinstance(label, str):
            self.app_labels.append((node.lineno, node.name, label))
        managed = meta.get("managed", True) is not False
        self.classes.append((node.name, node.lineno, bases, has_fields, concrete, table, managed))

    def read_config(self, node: ast.ClassDef) -> None:
        """The AppConfig's declarations: (line, value), or (line, None) when not a literal."""
        values: dict[str, tuple[int, object]] = {}
        for statement in node.body:
            name, value = assignment(statement)
            if name in DECLARATIONS and value is not None:
                values[name] = (statement.lineno, literal(value))
        self.config = (node.name, node.lineno, values)

    # Expressions

    def expressions(self, *nodes: ast.expr | None) -> None:
        hot = self.hot
        if not hot:
            return
        for root in nodes:
            if root is None:
                continue
            if hot.find(1, root.lineno, (root.end_lineno or root.lineno) + 1) == -1:
                continue  # no word that could matter on its lines
            seen: set[int] = set()  # inner parts of a chain already recorded
            named: set[int] = set()  # `models_module` attributes a model name follows
            looping: set[int] = set()  # nodes inside a comprehension
            for node in ast.walk(root):  # outer nodes first: they mark inner ones as seen
                if isinstance(node, ast.Attribute):
                    if id(node) not in seen:
                        self.add_attribute(node, seen)
                    if self.calls and "models_module" in (
                        node.attr,
                        getattr(node.value, "attr", ""),
                    ):
                        self.add_models_module(node, named)
                elif isinstance(node, COMPREHENSIONS):
                    looping.update(map(id, ast.walk(node)))
                elif isinstance(node, ast.Call):
                    self.add_call_site(node, id(node) in looping)
                    if self.calls:
                        self.add_call(node)
                    if self.queries:
                        self.add_lookups(node)
                    if self.sql_calls:
                        self.add_sql_call(node)
                elif isinstance(node, ast.Subscript) and self.calls:
                    self.add_subscript(node)

    def add_call_site(self, node: ast.Call, in_comprehension: bool) -> None:
        """A call of a domain's code, with the function, transaction and loop it is in."""
        callee = self.qualify(node.func)
        if callee is None or not callee.startswith("apps."):
            return
        site = self.site
        in_loop = site.loops > 0 or in_comprehension
        block = site.blocks[0] if site.blocks else 0
        self.call_sites.append(
            (node.lineno, callee, site.function, bool(site.blocks), in_loop, block)
        )

    def within_atomic(self, nodes: list[ast.expr]) -> "Site":
        """The site inside these decorators or `with` items: a new atomic block if one
        of them is `transaction.atomic` (called or not)."""
        site = self.site
        for node in nodes:
            if self.qualify(node.func if isinstance(node, ast.Call) else node) in ATOMIC:
                self.blocks_opened += 1
                return Site(site.function, site.loops, (*site.blocks, self.blocks_opened))
        return site

    def add_attribute(self, node: ast.Attribute, seen: set[int]) -> None:
        """`services.Item.objects` where `services` stands for a module of the project;
        `settings.NAME`."""
        value = node.value
        if (
            isinstance(value, ast.Name)
            and value.id in self.settings_names
            and (self.qualify(value) == SETTINGS)
        ):
            self.settings.append((node.lineno, node.attr))
        qualified = self.qualify(node) if isinstance(node.ctx, ast.Load) else None
        if qualified and self.outside(qualified):
            self.attributes.append((node.lineno, qualified))
            inner = node.value  # the longest chain says it all
            while isinstance(inner, ast.Attribute):
                seen.add(id(inner))
                inner = inner.value

    def is_registry(self, node: ast.expr) -> bool:
        """Django's app registry: imported as such, or a function's `apps` argument (as
        migrations receive it; not a local variable of that name); `get_app_config(...)`
        on it gives one app's config."""
        if isinstance(node, ast.Name) and node.id == "apps" and "apps" not in self.names:
            arguments = self.arguments
            every = (*arguments.posonlyargs, *arguments.args) if arguments else ()
            return any(arg.arg == "apps" for arg in every)
        return self.qualify(node) in REGISTRY

    def add_call(self, node: ast.Call) -> None:
        func = node.func
        qualified = self.qualify(func) or ""
        first = string(node.args[0]) if node.args else None
        method = func.attr if isinstance(func, ast.Attribute) else ""
        owner = func.value if isinstance(func, ast.Attribute) else None
        if method in {"get_model", "get_registered_model", "get_models"} and owner is not None:
            self.add_get_model(node, method, owner)
        elif qualified in REGISTRY_CALLS:  # `get = apps.get_model; get("inventory", ...)`
            self.add_get_model(node, qualified.rpartition(".")[2], None)
        elif qualified == "importlib.import_module" and (
            first := first or string(keyword(node, "name"))
        ):
            package = string(keyword(node, "package"))
            package = package or (string(node.args[1]) if len(node.args) > 1 else "") or ""
            level = len(first) - len(first.lstrip("."))
            if level and package:
                first = f"{package.rsplit('.', level - 1)[0]}.{first[level:]}"
            self.by_name.append((node.lineno, "import_module", first, ""))
        elif qualified.endswith("module_loading.import_string") and (
            first := first or string(keyword(node, "dotted_path"))
        ):
            self.by_name.append((node.lineno, "import_string", first, ""))
        elif first and qualified == "pkgutil.resolve_name":  # "module:Name" or "module.Name"
            self.by_name.append((node.lineno, "import_string", first.replace(":", "."), ""))
        elif first and (
            (isinstance(func, ast.Name) and func.id == "__import__" and not qualified)
            or qualified == "builtins.__import__"
        ):
            self.by_name.append((node.lineno, "import_module", first, ""))
        elif first and qualified in STRING_IMPORTS:
            self.by_name.append((node.lineno, STRING_IMPORTS[qualified], first, ""))
        elif isinstance(func, ast.Name) and func.id == "getattr" and not qualified:
            base = self.qualify(node.args[0]) if len(node.args) >= 2 else None
            name = string(node.args[1]) if len(node.args) >= 2 else None
            if base and name and self.outside(base):
                self.attributes.append((node.lineno, f"{base}.{name}"))
        elif method == "connect" and isinstance(func, ast.Attribute):
            handler = node.args[0] if node.args else keyword(node, "receiver")
            function = (dotted(handler) if handler else None) or "?"
            sender = node.args[1] if len(node.args) >= 2 else keyword(node, "sender")
            self.add_receiver(node, function.rpartition(".")[2], func.value, sender)
        elif method and owner is not None:
            while (  # `.db_manager("default")`, `.using(...)`: the manager still
                isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Attribute)
                and owner.func.attr in MANAGER_CALLS
            ):
                owner = owner.func.value
            if isinstance(owner, ast.Attribute) and owner.attr in MANAGERS:
                self.add_content_type(node, owner)

    def add_get_model(self, node: ast.Call, method: str, owner: ast.expr | None) -> None:
        """`apps.get_model("inventory", "Inventory")`, `apps.get_model("inventory.Inventory")`,
        `apps.get_app_config("inventory").get_model("Inventory")`, `get_models()` of an
        app, `get_registered_model`: Django's registry and literal names only."""
        names = [string(arg) for arg in node.args[:2]]
        names += [None] * (2 - len(names))
        names = [
            names[0] or string(keyword(node, "app_label")),
            names[1] or string(keyword(node, "model_name")),
        ]
        config, config_label = self.app_config(owner)
        if config:
            names = [config_label, names[0]]
            if method == "get_models":
                if names[0]:
                    self.by_name.append((node.lineno, "get_models", names[0], ""))
                return
        elif (owner is not None and not self.is_registry(owner)) or method == "get_models":
            return
        label, model = names
        if label and not model and "." in label:
            label, _, model = label.partition(".")
        if label and model:
            self.by_name.append((node.lineno, "get_model", label, model))

    def app_config(self, node: ast.expr | None) -> tuple[bool, str | None]:
        """(whether the expression is one app's config from the registry, its label):
        `apps.get_app_config("inventory")` (or `app_label=`), `apps.app_configs["inventory"]`."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_app_config"
            and self.is_registry(node.func.value)
        ):
            return True, string(node.args[0]) if node.args else string(keyword(node, "app_label"))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "app_configs"
            and self.is_registry(node.value.value)
        ):
            return True, string(node.slice)
        return False, None

    def add_subscript(self, node: ast.Subscript) -> None:
        """`apps.all_models["inventory"]`: every model of an app, by its label;
        `apps.get_app_config("inventory").models["item"]`: one of them."""
        value = node.value
        label = string(node.slice)
        if (
            label
            and isinstance(value, ast.Attribute)
            and value.attr == "all_models"
            and self.is_registry(value.value)
        ):
            self.by_name.append((node.lineno, "get_models", label, ""))
        elif label and self.qualify(value) == "sys.modules":  # `sys.modules["apps.x.models"]`
            self.by_name.append((node.lineno, "import_module", label, ""))
        elif isinstance(value, ast.Attribute) and value.attr == "models":
            config, app = self.app_config(value.value)
            if config and app:
                kind = "get_model" if label else "get_models"
                self.by_name.append((node.lineno, kind, app, label or ""))

    def add_models_module(self, node: ast.Attribute, named: set[int]) -> None:
        """`apps.get_app_config("inventory").models_module.Item`: one model of the app;
        the module alone hands out every one."""
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "models_module":
            config, app = self.app_config(value.value)
            if config and app:
                self.by_name.append((node.lineno, "get_model", app, node.attr))
                named.add(id(value))
        elif node.attr == "models_module" and id(node) not in named:
            config, app = self.app_config(value)
            if config and app:
                self.by_name.append((node.lineno, "get_models", app, ""))

    def add_content_type(self, node: ast.Call, owner: ast.expr) -> None:
        """`ContentType.objects.get(app_label="inventory", model="item")` (through any
        of its managers, `db_manager(...)` or `using(...)` too), `filter(app_label__in=[...])`
        and `get_by_natural_key("inventory", "item")`: a model reached through its type."""
        if self.qualify(owner) not in {f"{CONTENT_TYPE}.{manager}" for manager in MANAGERS}:
            return
        label = string(keyword(node, "app_label"))
        model = string(keyword(node, "model")) or ""
        labels = literal(keyword(node, "app_label__in") or ast.Constant(None))
        if not label and isinstance(labels, list | tuple | set):  # `app_label__in=[...]`
            for each in sorted(filter(None, map(str, labels))):
                self.by_name.append((node.lineno, "get_models", each, ""))
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get_by_natural_key":
            label = string(node.args[0]) if node.args else label
            model = (string(node.args[1]) if len(node.args) > 1 else None) or model
        if label:
            self.by_name.append((node.lineno, "get_model" if model else "get_models", label, model))

    def add_lookups(self, node: ast.Call) -> None:
        """`Model.objects.filter(order__item__name=...)`, `.select_related("order__item")`:
        lookups of a query chain rooted at a model's manager (`objects`,
        `_default_manager`), or of `get_object_or_404(Model, ...)`; also inside `Q`, `F`,
        aggregates and `Prefetch` in its arguments, and in a literal `**{...}`."""
        func = node.func
        shortcut = isinstance(func, ast.Name) and self.qualify(func) in SHORTCUTS
        if not (shortcut or (isinstance(func, ast.Attribute) and func.attr in QUERY_METHODS)):
            return
        paths = lookup_paths(node, node.args[1:] if shortcut else node.args)
        if not paths:
            return
        if shortcut or not isinstance(func, ast.Attribute):
            model = self.qualify(node.args[0]) if node.args else None
        else:
            inner = func.value  # down the chain to `Model.objects`
            while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                inner = inner.func.value
            if not (isinstance(inner, ast.Attribute) and inner.attr in MANAGERS):
                return
            model = self.qualify(inner.value)
        if model:
            for path in paths:
                self.lookups.append((node.lineno, f"py:{model}", path.lstrip("-")))

    def add_sql_call(self, node: ast.Call) -> None:
        """The SQL of `cursor.execute(...)`, `Model.objects.raw(...)`, `RawSQL(...)`,
        `.extra(...)`, a migration's `RunSQL(...)`: the table-like words of its strings."""
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if method not in SQL_METHODS and method not in {"RawSQL", "RunSQL"}:
            return
        words: dict[str, None] = {}
        # The SQL only: its parameters (the second argument, `params`) are values.
        keywords = (k.value for k in node.keywords if k.arg not in SQL_PARAMETERS)
        sql = node.args[:2] if method == "RunSQL" else node.args[:1]  # RunSQL: its reverse too
        for argument in (*sql, *keywords):
            for part in ast.walk(argument):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    words.update(dict.fromkeys(TABLE_WORD.findall(part.value.lower())))
                    if len(words) >= MAX_SQL_WORDS:
                        break
        if words:
            self.sql.append((node.lineno, tuple(words)[:MAX_SQL_WORDS]))

    def add_receiver(
        self,
        call: ast.Call,
        function: str,
        signal: ast.expr | None = None,
        sender_node: ast.expr | None = None,
    ) -> None:
        sender = self.reference(sender_node if signal is not None else keyword(call, "sender"))
        if sender is None:
            return
        if signal is None and call.args:
            signal = call.args[0]
        signals = signal.elts if isinstance(signal, SEQUENCES) else [signal]
        names = ", ".join((dotted(s) or "?").rpartition(".")[2] for s in signals if s)
        self.receivers.append((call.lineno, function, names or "?", sender))


def class_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """A class body's statements, those inside its `if`, `try` and `with` blocks too."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.With):
            yield from class_statements(statement.body)
            yield from class_statements(getattr(statement, "orelse", []))
        elif isinstance(statement, ast.Try | ast.TryStar):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from class_statements(block)
            for handler in statement.handlers:
                yield from class_statements(handler.body)


def lookup_paths(call: ast.Call, arguments: list[ast.expr]) -> list[str]:
    """The lookups that may cross a relation in a query call: its keywords (a literal
    `**{...}` too) and string arguments, and those of the calls inside its arguments
    (`Q(order__item=...)`, `F("order__item__name")`, `Count("order__item")`, `Prefetch`)."""
    paths = [k.arg for k in call.keywords if k.arg and "__" in k.arg]
    for k in call.keywords:
        if k.arg is None and isinstance(k.value, ast.Dict):
            paths += [text for text in map(string, k.value.keys) if text and "__" in text]
    paths += [text for text in map(string, arguments) if text and "__" in text]
    inside: list[ast.AST] = [*arguments, *(k.value for k in call.keywords)]
    while inside:
        inner = inside.pop()
        if isinstance(inner, ast.Call):
            if isinstance(inner.func, ast.Attribute) and inner.func.attr in QUERY_METHODS:
                continue  # a query of its own (a subquery): read where it stands
            if (dotted(inner.func) or "").rpartition(".")[2] == "Value":
                continue  # `Value("a__b")`: a literal value, not a lookup
            paths += [k.arg for k in inner.keywords if k.arg and "__" in k.arg]
            first = string(inner.args[0]) if inner.args else None
            if first and "__" in first:
                paths.append(first)
        inside.extend(ast.iter_child_nodes(inner))
    return paths


def is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and string(node.value) is not None


def is_docstring_or_future(node: ast.stmt) -> bool:
    return is_docstring(node) or (isinstance(node, ast.ImportFrom) and node.module == "__future__")


def names_listed(node: ast.expr | None) -> set[str] | None:
    """The names of a literal `__all__`, else None."""
    if not isinstance(node, SEQUENCES):
        return None
    return {text for text in map(string, node.elts) if text is not None}


def assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """(`name`, value) for `name = value` and `name: type = value`; (None, None) otherwise."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            return target.id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def literal(node: ast.expr) -> object:
    """The value of a literal expression (`("inventory",)`, `True`), else None."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


# Definitions, as the map shows them


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`(*, name: str) -> OrderData`, with the source's own text, laid out as
    `inspect.Signature` prints it (`/` after positional-only parameters, `*` before
    keyword-only ones, `=` around a default without annotation, ` = ` with one).
    Written out rather than built through inspect: its objects, which validate what the
    parser has checked already, cost a domain's services module a third of its reading."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [parameter(arg, default) for arg, default in zip(positional, defaults, strict=True)]
    if args.posonlyargs:
        parts.insert(len(args.posonlyargs), "/")
    if args.vararg:
        parts.append(f"*{parameter(args.vararg)}")
    elif args.kwonlyargs:
        parts.append("*")
    parts += [
        parameter(arg, default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    if args.kwarg:
        parts.append(f"**{parameter(args.kwarg)}")
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"({', '.join(parts)}){returns}"


def parameter(arg: ast.arg, default: ast.expr | None = None) -> str:
    text = f"{arg.arg}: {ast.unparse(arg.annotation)}" if arg.annotation else arg.arg
    if default is None:
        return text
    return (
        f"{text} = {ast.unparse(default)}" if arg.annotation else f"{text}={ast.unparse(default)}"
    )


def fields_of(node: ast.ClassDef) -> list[str]:
    """The dataclass fields the class body declares: `order_id: int`, `note: str = ""`."""
    fields = []
    for statement in node.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        annotation = ast.unparse(statement.annotation)
        if annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        default = f" = {ast.unparse(statement.value)}" if statement.value else ""
        fields.append(f"{statement.target.id}: {annotation}{default}")
    return fields
