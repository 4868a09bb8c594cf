"""Calls into a domain's public `services`: the one place they are observed or rerouted.

When a domain's `services` module is executed (its first import, wherever from), each
public function it defines is replaced, in the module itself, by a wrapper. So every
caller gets the wrapper, however it imported the function (`from apps.inventory
import services`, `from apps.inventory.services import reserve`). The finder that does
this is installed when the `modulith` app is loaded, before any domain is imported.

`current_domain` names the domain whose code runs: the route's owner during a request
(`modulith.middleware.DomainMiddleware`), the task's or handler's domain in the worker,
the callee while one of its services runs. A call is a crossing when a domain's code
calls another domain's service; only crossings go through the layers (telemetry, the
rehearsal), outermost first. Calls within a domain, or from code of no domain (a
test, a management command), run as they are.
"""

import functools
import importlib.abc
import importlib.machinery
import inspect
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from modulith.domains import APPS_PACKAGE

current_domain: ContextVar[str | None] = ContextVar("modulith_current_domain", default=None)

SERVICES = re.compile(rf"{APPS_PACKAGE}\.(?P<domain>[A-Za-z_][A-Za-z0-9_]*)\.services")


@dataclass(frozen=True)
class ServiceCall:
    """One crossing: `caller`'s code calls `callee`'s public service `function`."""

    caller: str
    callee: str
    function: Callable[..., Any]  # the service function itself, unwrapped
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The service's name in its module: `reserve`."""
        return self.function.__name__

    def run_here(self) -> Any:
        """Run the service in this process, as its domain's code."""
        with in_domain(self.callee):
            return self.function(*self.args, **self.kwargs)


Proceed = Callable[[], Any]
Layer = Callable[[ServiceCall, Proceed], Any]
_layers: list[Layer] = []


def add_layer(layer: Layer, *, outermost: bool = False) -> None:
    """Route every crossing through `layer(call, proceed)`; `proceed()` runs the rest."""
    if layer not in _layers:
        _layers.insert(0 if outermost else len(_layers), layer)


def remove_layer(layer: Layer) -> None:
    if layer in _layers:
        _layers.remove(layer)


@contextmanager
def in_domain(domain: str | None) -> Iterator[None]:
    """Run the block as code of `domain`."""
    token = current_domain.set(domain)
    try:
        yield
    finally:
        current_domain.reset(token)


def owner_of(module_name: str) -> str | None:
    """The domain whose package holds this module: `apps.orders.api.views` -> `orders`."""
    package, _, rest = module_name.partition(".")
    if package != APPS_PACKAGE:
        return None
    return rest.partition(".")[0] or None


def service(domain: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, a public service of `domain`, as other code calls it."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        caller = current_domain.get()
        if caller is None or caller == domain or not _layers:
            token = current_domain.set(domain)
            try:
                return function(*args, **kwargs)
            finally:
                current_domain.reset(token)
        return _through(_layers, ServiceCall(caller, domain, function, args, kwargs))

    call.__modulith_service__ = domain  # type: ignore[attr-defined]
    return call


def _through(layers: Sequence[Layer], call: ServiceCall) -> Any:
    if not layers:
        return call.run_here()
    return layers[0](call, lambda: _through(layers[1:], call))


def wrap_services(module: ModuleType, domain: str) -> None:
    """Replace each public function `module` defines by its service wrapper."""
    for name, value in list(vars(module).items()):
        defined_here = getattr(value, "__module__", "").startswith(module.__name__)
        if (
            inspect.isfunction(value)
            and defined_here
            and not name.startswith("_")
            and not hasattr(value, "__modulith_service__")
        ):
            setattr(module, name, service(domain, value))


class _WrappingLoader(importlib.abc.Loader):
    """The services module's own loader, wrapping its functions once it has run."""

    def __init__(self, loader: importlib.abc.Loader, domain: str) -> None:
        self.loader = loader
        self.domain = domain

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        wrap_services(module, self.domain)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)  # get_source, get_filename, is_package, ...


class ServicesFinder(importlib.abc.MetaPathFinder):
    """Finds `apps.<domain>.services` as usual, and hands it to `_WrappingLoader`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        match = SERVICES.fullmatch(fullname)
        if match is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _WrappingLoader(spec.loader, match["domain"])
        return spec


def install() -> None:
    """Wrap every domain's services from now on (and any already imported, in place)."""
    if not any(isinstance(finder, ServicesFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, ServicesFinder())
    for name, module in list(sys.modules.items()):
        match = SERVICES.fullmatch(name)
        if match is not None and module is not None:
            wrap_services(module, match["domain"])
