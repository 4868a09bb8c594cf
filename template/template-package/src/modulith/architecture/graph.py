"""The domains and whom each relies on, from the declarations the boundary check reads.

An edge `orders -> inventory` means orders relies on inventory: a change to inventory
can break orders. Edges come from each domain's `apps.py` (`depends_on`,
`model_relations_to`) and from the event subscriptions in its code, all read from the
one model of the project the boundary check reads (`modulith.boundaries.model`, with
its cache); nothing is configured a second time.
"""

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from modulith.boundaries.baseline import read_baseline
from modulith.boundaries.model import EventHandler, Project
from modulith.domains import Declaration, project_root


class Kind(Enum):
    """Why one domain relies on another; the value is the edge's label on the map."""

    DEPENDS_ON = "depends on"
    LISTENS_TO = "listens to"
    MODEL_RELATIONS = "models"
    BASELINED = "baselined"

    @property
    def description(self) -> str:
        return {
            Kind.DEPENDS_ON: "declared dependency",
            Kind.LISTENS_TO: "event subscription",
            Kind.MODEL_RELATIONS: "model relation",
            Kind.BASELINED: "baselined crossing",
        }[self]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: Kind

    def sort_key(self) -> tuple[str, str, int]:
        return self.source, self.target, list(Kind).index(self.kind)


@dataclass(frozen=True)
class DomainGraph:
    """Every domain (sorted) and every edge between two of them (sorted)."""

    domains: tuple[str, ...]
    edges: tuple[Edge, ...]

    def dependents(self, domain: str) -> dict[str, list[Kind]]:
        """The domains that rely on `domain` directly, each with why."""
        found: dict[str, list[Kind]] = {}
        for edge in self.edges:
            if edge.target == domain:
                found.setdefault(edge.source, []).append(edge.kind)
        return found

    def reached_from(self, changed: Iterable[str]) -> dict[str, tuple[str, list[Kind]]]:
        """Every domain that relies on a changed one, transitively, with the domain it
        relies on that brought it in (the nearest, then the first by name) and why."""
        reached: dict[str, tuple[str, list[Kind]]] = {}
        queue = deque(sorted(set(changed)))
        seen = set(queue)
        while queue:
            domain = queue.popleft()
            for dependent, kinds in sorted(self.dependents(domain).items()):
                if dependent not in seen:
                    seen.add(dependent)
                    reached[dependent] = (domain, kinds)
                    queue.append(dependent)
        return reached


def build_graph(
    declarations: Mapping[str, Declaration],
    subscriptions: Iterable[EventHandler],
    baselined: Iterable[tuple[str, str]] = (),
) -> DomainGraph:
    """The graph of the declared and discovered dependencies between domains.

    `baselined` holds (source, target) pairs of crossings the boundary baseline
    tolerates for now: drawn in their own style, and followed by test selection
    like any other dependency. Pairs naming anything but two domains are left out.
    """
    edges = set()
    for declaration in declarations.values():
        edges |= {Edge(declaration.domain, t, Kind.DEPENDS_ON) for t in declaration.depends_on}
        edges |= {
            Edge(declaration.domain, t, Kind.MODEL_RELATIONS)
            for t in declaration.model_relations_to
        }
    edges |= {Edge(s.subscriber, s.publisher, Kind.LISTENS_TO) for s in subscriptions}
    edges |= {Edge(source, target, Kind.BASELINED) for source, target in baselined}
    domains = set(declarations)
    kept = [e for e in edges if {e.source, e.target} <= domains and e.source != e.target]
    return DomainGraph(tuple(sorted(domains)), tuple(sorted(kept, key=Edge.sort_key)))


def load_project(root: Path | None = None) -> Project:
    """The project's model, read as the boundary check reads it (through its cache)."""
    return Project.read(root or project_root())


def load_graph(project: Project | None = None) -> DomainGraph:
    """The project's graph, read from the code and the boundary baseline, without Django."""
    project = project or load_project()
    baselined = {(c.source_domain, c.target_domain) for c in read_baseline()}
    return build_graph(project.declarations, project.event_handlers(), baselined)
