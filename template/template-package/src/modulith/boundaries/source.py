"""What one Python file says about boundaries, read from its syntax tree without running it.

A walk over the statements collects imports (also inside functions and `if
TYPE_CHECKING:`), model classes with their relation fields and decorated signal
receivers. Expressions are walked only where the source can hold what they would
add, which keeps a cold run fast: calls naming modules and models by string (importlib,
`import_string`, `apps.get_model`, `signal.connect`), attribute chains through another
domain's modules, and SQL-looking strings. Facts are plain tuples so the scan can
cache them (scan.py).
"""

import ast
import re
from typing import NamedTuple

ROOT_PACKAGES = frozenset({"apps", "core", "config"})
RELATION_FIELDS = frozenset(
    {"ForeignKey", "OneToOneField", "ManyToManyField", "ForeignObject", "GenericRelation"}
)
DECLARATIONS = frozenset({"name", "label", "depends_on", "model_relations_to", "strict"})
# Raw SQL is found by its look: a string with an SQL keyword and an identifier with "_".
SQL_WORDS = re.compile(r"\b(?:select|insert|update|delete|from|join|into|table)\b", re.IGNORECASE)
# A file can hold such a string only if it has one of these words outside Python's own
# `from x import y`, `.update(` and `.join(` (a cheap test on the whole file).
SQL_IN_SOURCE = re.compile(
    rb"\b(?:select|insert|delete|into|table)\b|\b(?:update|join)\b(?!\()"
    rb"|\bfrom\b(?!\s+\.*[\w.]*\s+import\b)",
    re.IGNORECASE,
)
CALLS_BY_NAME = (b"get_model", b"import_module", b"import_string", b"__import__", b".connect")


class ModuleFacts(NamedTuple):
    """Everything the rules need from one module, as plain data (see the field comments).

    A model reference is `"str:inventory.Inventory"` (named by string, as Django allows)
    or `"py:apps.inventory.models.Inventory"` (a Python name, qualified through imports).
    """

    # (line, module, name): `from module import name`; name is "" for `import module`.
    imports: tuple[tuple[int, str, str], ...]
    # (line, kind, first, second): "import_module"/"import_string" (dotted name, "") and
    # "get_model" (app label, model name), each called with string literals.
    by_name: tuple[tuple[int, str, str, str], ...]
    # Names bound at module level -> what they stand for, e.g. "Inventory" ->
    # "apps.inventory.models.Inventory" (classes defined here point to themselves).
    exports: dict[str, str]
    # (name, line, qualified bases, has model fields, concrete, db_table or "").
    classes: tuple[tuple[str, int, tuple[str, ...], bool, bool, str], ...]
    # (line, class, field, field type, target reference, `through` reference or "").
    relations: tuple[tuple[int, str, str, str, str, str], ...]
    # (line, receiving function, signal, sender reference).
    receivers: tuple[tuple[int, str, str, str], ...]
    # (line, qualified chain) for attribute chains rooted at an imported `apps` module.
    attributes: tuple[tuple[int, str], ...]
    # (line, text) of string literals that read like SQL (docstrings excluded).
    sql: tuple[tuple[int, str], ...]
    # The AppConfig subclass, if any: (class, line, {declaration: (line, literal value)}),
    # the value None where it is not a literal.
    config: tuple[str, int, dict[str, tuple[int, object]]] | None


def module_name(relative: str) -> tuple[str, bool]:
    """`apps/orders/api/views.py` -> (`apps.orders.api.views`, False); packages give True."""
    name = relative.removesuffix(".py").replace("/", ".")
    if name.endswith(".__init__"):
        return name.removesuffix(".__init__"), True
    return name, False


def read_module(source: bytes, module: str, is_package: bool) -> ModuleFacts:
    """Facts of one module's source; raises SyntaxError for code Python cannot parse."""
    tree = ast.parse(source)
    reader = _Reader(module, is_package)
    reader.statements(tree.body, depth=0, documented=True)
    calls = any(name in source for name in CALLS_BY_NAME)
    attributes = reader.binds_another_domain()
    sql = SQL_IN_SOURCE.search(source) is not None
    if calls or attributes or sql:
        reader.expressions(tree, calls=calls, attributes=attributes, sql=sql)
    return reader.facts()


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


class _Reader:
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.names: dict[str, str] = {}  # every binding by import or class, any scope
        self.exports: dict[str, str] = {}
        self.seen: set[int] = set()  # nodes read already: docstrings, parts of others
        self.imports: list[tuple[int, str, str]] = []
        self.by_name: list[tuple[int, str, str, str]] = []
        self.classes: list[tuple[str, int, tuple[str, ...], bool, bool, str]] = []
        self.relations: list[tuple[int, str, str, str, str, str]] = []
        self.receivers: list[tuple[int, str, str, str]] = []
        self.attributes: list[tuple[int, str]] = []
        self.sql: list[tuple[int, str]] = []
        self.config: tuple[str, int, dict[str, tuple[int, object]]] | None = None

    def facts(self) -> ModuleFacts:
        return ModuleFacts(
            tuple(self.imports),
            tuple(self.by_name),
            self.exports,
            tuple(self.classes),
            tuple(self.relations),
            tuple(self.receivers),
            tuple(self.attributes),
            tuple(self.sql),
            self.config,
        )

    # Names

    def qualify(self, node: ast.expr | None) -> str | None:
        """The qualified name an expression stands for, through this module's imports."""
        chain = dotted(node) if node is not None else None
        if chain is None:
            return None
        root, _, rest = chain.partition(".")
        target = self.names.get(root)
        return None if target is None else f"{target}.{rest}" if rest else target

    def reference(self, node: ast.expr | None) -> str | None:
        """A model reference: by string as Django reads it, or by qualified name."""
        text = string(node)
        if text is not None:
            return f"str:{text}"
        qualified = self.qualify(node)
        return f"py:{qualified}" if qualified else None

    def absolute(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        base = self.package.rsplit(".", level - 1)[0] if level > 1 else self.package
        return f"{base}.{module}" if module else base

    def binds_another_domain(self) -> bool:
        """Whether a name here stands for something in `apps` outside this module's domain."""
        own = self.module.split(".")[1] if self.module.startswith("apps.") else None
        return any(
            target == "apps" or (target.startswith("apps.") and target.split(".")[1] != own)
            for target in self.names.values()
        )

    # Statements

    def statements(self, body: list[ast.stmt], depth: int, documented: bool = False) -> None:
        """Imports, classes and decorated functions in `body`, and in nested blocks."""
        if documented:
            self.skip_docstring(body)
        for node in body:
            if isinstance(node, ast.Import):
                self.add_import(node, depth)
            elif isinstance(node, ast.ImportFrom):
                self.add_import_from(node, depth)
            elif isinstance(node, ast.ClassDef):
                self.add_class(node, depth)
                self.statements(node.body, depth + 1, documented=True)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and self.is_receiver(decorator.func):
                        self.add_receiver(decorator, node.name)
                self.statements(node.body, depth + 1, documented=True)
            else:  # if, for, while, with, try, match: their blocks keep the depth
                for block in ("body", "orelse", "finalbody"):
                    self.statements(getattr(node, block, []), depth)
                for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
                    self.statements(part.body, depth)

    def bind(self, name: str, target: str, depth: int) -> None:
        self.names[name] = target
        if depth == 0:
            self.exports[name] = target

    def add_import(self, node: ast.Import, depth: int) -> None:
        for alias in node.names:
            if alias.name.partition(".")[0] in ROOT_PACKAGES:
                self.imports.append((node.lineno, alias.name, ""))
            if alias.asname:
                self.bind(alias.asname, alias.name, depth)
            else:
                root = alias.name.partition(".")[0]
                self.bind(root, root, depth)

    def add_import_from(self, node: ast.ImportFrom, depth: int) -> None:
        module = self.absolute(node.module, node.level)
        for alias in node.names:
            if module.partition(".")[0] in ROOT_PACKAGES:
                self.imports.append((node.lineno, module, "" if alias.name == "*" else alias.name))
            if alias.name != "*":
                self.bind(alias.asname or alias.name, f"{module}.{alias.name}", depth)

    def add_class(self, node: ast.ClassDef, depth: int) -> None:
        bases = tuple(filter(None, map(self.qualify, node.bases)))
        if depth == 0:
            self.read_class(node, bases)
            if any(base.endswith("AppConfig") for base in bases):
                self.read_config(node)
        self.bind(node.name, f"{self.module}.{node.name}", depth)

    def read_class(self, node: ast.ClassDef, bases: tuple[str, ...]) -> None:
        has_fields = False
        meta: dict[str, object] = {}
        for statement in node.body:
            if isinstance(statement, ast.ClassDef) and statement.name == "Meta":
                meta = {
                    name: literal(value)
                    for name, value in map(assignment, statement.body)
                    if name and value
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
        table = table if isinstance(table, str) else ""
        self.classes.append((node.name, node.lineno, bases, has_fields, concrete, table))

    def read_config(self, node: ast.ClassDef) -> None:
        """The AppConfig's declarations: (line, value), or (line, None) when not a literal."""
        values: dict[str, tuple[int, object]] = {}
        for statement in node.body:
            name, value = assignment(statement)
            if name in DECLARATIONS and value is not None:
                values[name] = (statement.lineno, literal(value))
        self.config = (node.name, node.lineno, values)

    # Expressions

    def expressions(self, tree: ast.Module, *, calls: bool, attributes: bool, sql: bool) -> None:
        for node in ast.walk(tree):  # outer nodes first: they mark inner ones as seen
            if id(node) in self.seen:
                continue
            if calls and isinstance(node, ast.Call):
                self.add_call(node)
            elif attributes and isinstance(node, ast.Attribute):
                self.add_attribute(node)
            elif sql and isinstance(node, ast.JoinedStr):
                # An f-string: its literal parts, with a space for each placeholder.
                parts = [part for part in node.values if isinstance(part, ast.Constant)]
                self.seen.update(map(id, parts))
                self.add_sql(node.lineno, " ".join(str(part.value) for part in parts))
            elif sql and isinstance(node, ast.Constant) and isinstance(node.value, str):
                self.add_sql(node.lineno, node.value)

    def add_attribute(self, node: ast.Attribute) -> None:
        """`services.Item.objects` where `services` stands for a module in `apps`."""
        qualified = self.qualify(node) if isinstance(node.ctx, ast.Load) else None
        if qualified and qualified.startswith("apps."):
            self.attributes.append((node.lineno, qualified))
            inner = node.value  # the longest chain says it all
            while isinstance(inner, ast.Attribute):
                self.seen.add(id(inner))
                inner = inner.value

    def add_call(self, node: ast.Call) -> None:
        func = node.func
        qualified = self.qualify(func) or ""
        first = string(node.args[0]) if node.args else None
        if isinstance(func, ast.Attribute) and func.attr == "get_model":
            self.add_get_model(node)
        elif first and qualified == "importlib.import_module":
            package = string(keyword(node, "package")) or ""
            level = len(first) - len(first.lstrip("."))
            if level and package:
                first = f"{package.rsplit('.', level - 1)[0]}.{first[level:]}"
            self.by_name.append((node.lineno, "import_module", first, ""))
        elif first and qualified.endswith("module_loading.import_string"):
            self.by_name.append((node.lineno, "import_string", first, ""))
        elif first and isinstance(func, ast.Name) and func.id == "__import__" and not qualified:
            self.by_name.append((node.lineno, "import_module", first, ""))
        elif isinstance(func, ast.Attribute) and func.attr == "connect":
            handler = node.args[0] if node.args else keyword(node, "receiver")
            function = (dotted(handler) if handler else None) or "?"
            self.add_receiver(node, function.rpartition(".")[2], signal=func.value)

    def add_get_model(self, node: ast.Call) -> None:
        """`apps.get_model("inventory", "Inventory")`, `apps.get_model("inventory.Inventory")`,
        `apps.get_app_config("inventory").get_model("Inventory")`: literal names only."""
        names = [string(arg) for arg in node.args[:2]]
        names += [string(keyword(node, key)) for key in ("app_label", "model_name")][len(names) :]
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Attribute)
            and owner.func.attr == "get_app_config"
        ):
            names = [string(owner.args[0]) if owner.args else None, names[0]]
        label, model = names
        if label and not model and "." in label:
            label, _, model = label.partition(".")
        if label and model:
            self.by_name.append((node.lineno, "get_model", label, model))

    def is_receiver(self, func: ast.expr) -> bool:
        return (self.qualify(func) or "").endswith("dispatch.receiver")

    def add_receiver(self, call: ast.Call, function: str, signal: ast.expr | None = None) -> None:
        sender = self.reference(keyword(call, "sender"))
        if sender is None:
            return
        if signal is None and call.args:
            signal = call.args[0]
        signals = signal.elts if isinstance(signal, ast.List | ast.Tuple) else [signal]
        names = ", ".join((dotted(s) or "?").rpartition(".")[2] for s in signals if s)
        self.receivers.append((call.lineno, function, names or "?", sender))

    def add_sql(self, line: int, text: str) -> None:
        if "_" in text and SQL_WORDS.search(text):
            self.sql.append((line, text))

    def skip_docstring(self, body: list[ast.stmt]) -> None:
        if body and isinstance(body[0], ast.Expr) and string(body[0].value) is not None:
            self.seen.add(id(body[0].value))


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
