"""What a domain's modules define, read as source code (ast) without importing them.

Reading the source keeps test selection free of Django's start-up, and gives the map
signatures as they are written (`-> OrderData`) rather than as Python resolves them
(`-> apps.orders.services.OrderData`).
"""

import ast
from dataclasses import dataclass
from inspect import Parameter, Signature, _ParameterKind
from pathlib import Path

from modulith.boundaries.rules import domain_of
from modulith.domains import APPS_PACKAGE, project_root

# The decorator that registers an event handler, by the names it is imported under.
SUBSCRIBER = frozenset({"modulith.events.subscriber", "modulith.events.subscriptions.subscriber"})


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
class Subscription:
    """A handler in `subscriber`'s `handlers` module for an event of `publisher`."""

    subscriber: str
    publisher: str
    event: str
    handler: str
    durable: bool


def module_files(domain: str, name: str, apps_dir: Path | None = None) -> list[Path]:
    """`apps/<domain>/<name>.py`, or every file of the package `apps/<domain>/<name>/`."""
    package = (apps_dir or project_root() / APPS_PACKAGE) / domain / name
    if package.is_dir():
        return sorted(package.rglob("*.py"))
    module = package.with_suffix(".py")
    return [module] if module.is_file() else []


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def exported_names(tree: ast.Module) -> set[str] | None:
    """The names listed in a literal `__all__`, or None when the module has none."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            return {
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    return None


def is_public(name: str, exported: set[str] | None) -> bool:
    return name in exported if exported is not None else not name.startswith("_")


def public_functions(files: list[Path]) -> list[Function]:
    """Module-level functions not starting with `_` (or listed in `__all__`), sorted."""
    functions = []
    for file in files:
        tree = parse(file)
        exported = exported_names(tree)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_public(
                node.name, exported
            ):
                is_async = isinstance(node, ast.AsyncFunctionDef)
                functions.append(Function(node.name, signature(node), is_async))
    return sorted(functions)


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`(*, name: str) -> OrderData`: laid out by `inspect`, with the source's own text."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    kinds: list[_ParameterKind] = [Parameter.POSITIONAL_ONLY] * len(args.posonlyargs)
    kinds += [Parameter.POSITIONAL_OR_KEYWORD] * len(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parameters = [
        parameter(arg, kind, default)
        for arg, kind, default in zip(positional, kinds, defaults, strict=True)
    ]
    if args.vararg:
        parameters.append(parameter(args.vararg, Parameter.VAR_POSITIONAL))
    parameters += [
        parameter(arg, Parameter.KEYWORD_ONLY, default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    if args.kwarg:
        parameters.append(parameter(args.kwarg, Parameter.VAR_KEYWORD))
    returns = Source(ast.unparse(node.returns)) if node.returns else Signature.empty
    return str(Signature(parameters, return_annotation=returns))


class Source(str):
    """Source text that `inspect` prints as written, where it would print a repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def parameter(arg: ast.arg, kind: _ParameterKind, default: ast.expr | None = None) -> Parameter:
    return Parameter(
        arg.arg,
        kind,
        default=Source(ast.unparse(default)) if default else Parameter.empty,
        annotation=Source(ast.unparse(arg.annotation)) if arg.annotation else Parameter.empty,
    )


def public_classes(files: list[Path]) -> list[str]:
    """Module-level classes not starting with `_` (or listed in `__all__`), sorted."""
    classes = []
    for file in files:
        tree = parse(file)
        exported = exported_names(tree)
        classes += [
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef) and is_public(node.name, exported)
        ]
    return sorted(classes)


def event_types(files: list[Path]) -> list[EventType]:
    """Classes deriving from DomainEvent, directly or through another event of the module."""
    found: dict[str, EventType] = {}
    for file in files:
        for node in parse(file).body:
            if isinstance(node, ast.ClassDef) and any(
                base_name(base) == "DomainEvent" or base_name(base) in found for base in node.bases
            ):
                inherited = [
                    field for base in node.bases for field in inherited_fields(base, found)
                ]
                found[node.name] = EventType(node.name, (*inherited, *fields_of(node)))
    return sorted(found.values())


def base_name(base: ast.expr) -> str:
    """`DomainEvent` for both `DomainEvent` and `events.DomainEvent`."""
    return ast.unparse(base).rsplit(".", 1)[-1]


def inherited_fields(base: ast.expr, found: dict[str, EventType]) -> tuple[str, ...]:
    event = found.get(base_name(base))
    return event.fields if event else ()


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


def subscriptions_of(domain: str, apps_dir: Path | None = None) -> list[Subscription]:
    """Every `@subscriber(Event)` handler in the domain's `handlers` module or package.

    The event is resolved through the module's imports, so the publisher is the domain
    whose module the event class is imported from, as the import graph has it.
    """
    found = []
    apps_dir = apps_dir or project_root() / APPS_PACKAGE
    for file in module_files(domain, "handlers", apps_dir):
        tree = parse(file)
        names = imported_names(tree, package_of(file, apps_dir))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                subscription = subscription_of(decorator, names, domain, node.name)
                if subscription is not None:
                    found.append(subscription)
    return sorted(found)


def subscription_of(
    decorator: ast.expr, names: dict[str, str], domain: str, handler: str
) -> Subscription | None:
    if not (
        isinstance(decorator, ast.Call)
        and decorator.args
        and resolve(decorator.func, names) in SUBSCRIBER
    ):
        return None
    event = resolve(decorator.args[0], names)
    publisher = domain_of(event or "")
    if event is None or publisher is None:
        return None
    durable = any(
        k.arg == "durable" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in decorator.keywords
    )
    return Subscription(domain, publisher, event.rsplit(".", 1)[-1], handler, durable)


def package_of(file: Path, apps_dir: Path) -> str:
    """`apps/orders/handlers/mail.py` -> `apps.orders.handlers`, for relative imports."""
    return ".".join(file.parent.relative_to(apps_dir.parent).parts)


def imported_names(tree: ast.Module, package: str) -> dict[str, str]:
    """Each name an import binds, mapped to the dotted path it stands for."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            origin = absolute(node.module or "", node.level, package)
            for alias in node.names:
                names[alias.asname or alias.name] = f"{origin}.{alias.name}"
    return names


def absolute(module: str, level: int, package: str) -> str:
    """The absolute name of `from <level dots><module> import ...` inside `package`."""
    if level == 0:
        return module
    base = package.rsplit(".", level - 1)[0]
    return f"{base}.{module}" if module else base


def resolve(expression: ast.expr, names: dict[str, str]) -> str | None:
    """`OrderCreated` or `events.OrderCreated` -> `apps.orders.events.OrderCreated`."""
    if isinstance(expression, ast.Name):
        return names.get(expression.id)
    if isinstance(expression, ast.Attribute):
        owner = resolve(expression.value, names)
        return f"{owner}.{expression.attr}" if owner else None
    return None
