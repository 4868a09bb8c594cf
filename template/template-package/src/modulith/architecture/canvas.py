"""Each domain's canvas: what it offers and what it uses, for `docs/architecture.md`.

After Spring Modulith's Application Module Canvas. Services, events, handlers and tasks
are read from the source, by the one model of the project (`modulith.boundaries.model`);
models and HTTP endpoints from Django's registries, which know them however the modules
are laid out (so this needs Django set up, as `manage.py domain_map` does). Each canvas
ends with the command that reports what would tie the domain to the rest if it were
extracted (`manage.py extraction_report`, architecture/extraction.py).
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.views import View

from modulith.architecture.graph import DomainGraph, Kind, load_project
from modulith.boundaries.model import EventHandler, EventType, Function, Project
from modulith.boundaries.names import domain_of
from modulith.domains import Declaration

# Methods every view answers the same way: not worth listing.
IMPLICIT_METHODS = frozenset({"head", "options", "trace"})


@dataclass(frozen=True, order=True)
class Endpoint:
    route: str  # "/api/orders/"
    methods: tuple[str, ...]  # ("GET", "POST"); empty for a function view
    view: str

    def __str__(self) -> str:
        methods = " ".join(self.methods)
        return f"{methods} {self.route}" if methods else self.route


@dataclass(frozen=True)
class Canvas:
    domain: str
    declaration: Declaration
    used_by: dict[str, list[Kind]]
    services: list[Function]
    service_types: list[str]
    events: list[EventType]
    listeners: dict[str, list[str]]  # event name -> the domains that subscribe to it
    subscriptions: list[EventHandler]
    models: list[str]
    endpoints: list[Endpoint]
    tasks: list[Function]


def canvases(graph: DomainGraph, project: Project | None = None) -> list[Canvas]:
    """One canvas per domain of the graph, in the graph's order."""
    project = project or load_project()
    subscriptions = project.event_handlers()
    endpoints = endpoints_by_domain()
    return [
        Canvas(
            domain=domain,
            declaration=project.declarations[domain],
            used_by=graph.dependents(domain),
            services=project.functions(domain, "services"),
            service_types=project.public_classes(domain, "services"),
            events=project.event_types(domain),
            listeners=listeners_of(domain, subscriptions),
            subscriptions=[s for s in subscriptions if s.subscriber == domain],
            models=models_of(domain),
            endpoints=endpoints.get(domain, []),
            tasks=project.functions(domain, "tasks"),
        )
        for domain in graph.domains
    ]


def listeners_of(domain: str, subscriptions: list[EventHandler]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for subscription in subscriptions:
        if subscription.publisher == domain:
            found.setdefault(subscription.event, set()).add(subscription.subscriber)
    return {event: sorted(domains) for event, domains in found.items()}


def models_of(domain: str) -> list[str]:
    config = apps.get_containing_app_config(f"apps.{domain}")
    return sorted(model.__name__ for model in config.get_models()) if config else []


def endpoints_by_domain() -> dict[str, list[Endpoint]]:
    """Every URL of the project whose view a domain defines, by domain."""
    found: dict[str, list[Endpoint]] = {}
    for route, pattern in url_patterns(get_resolver().url_patterns, "/"):
        view = view_class_of(pattern.callback) or pattern.callback
        domain = domain_of(view.__module__)
        if domain is not None:
            endpoint = Endpoint(route, methods_of(pattern.callback), view.__name__)
            found.setdefault(domain, []).append(endpoint)
    return {domain: sorted(set(endpoints)) for domain, endpoints in found.items()}


def view_class_of(view: object) -> type | None:
    """The class behind a class-based view (Django's `as_view`, DRF's viewsets)."""
    view_class: type | None = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return view_class


def url_patterns(
    patterns: list[URLPattern | URLResolver], prefix: str
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, route)
        else:
            yield route, pattern


def methods_of(view: object) -> tuple[str, ...]:
    """The HTTP methods a class-based view or a DRF viewset route answers."""
    actions: dict[str, str] | None = getattr(view, "actions", None)  # DRF viewsets
    view_class = view_class_of(view)
    if actions is None and view_class is None:
        return ()
    return tuple(
        method.upper()
        for method in View.http_method_names
        if method not in IMPLICIT_METHODS
        and (method in actions if actions is not None else hasattr(view_class, method))
    )
