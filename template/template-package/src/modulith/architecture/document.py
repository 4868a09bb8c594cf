"""`docs/architecture.md`: the domain graph in Mermaid, then one canvas per domain.

GitHub and GitLab render Mermaid blocks in Markdown as they are. The text depends only
on the code, sorted, so regenerating an unchanged project changes nothing.
"""

from modulith.architecture.canvas import Canvas
from modulith.architecture.graph import DomainGraph, Edge, Kind

ARROWS = {
    Kind.DEPENDS_ON: "-->",
    Kind.LISTENS_TO: "-.->",
    Kind.MODEL_RELATIONS: "==>",
    Kind.BASELINED: "--x",
}
BASELINED_STYLE = "stroke:#d32f2f,stroke-width:2px,stroke-dasharray:5 5"
LEGEND = {
    Kind.DEPENDS_ON: "solid: declared in `depends_on`; calls the target's services or "
    "imports its events",
    Kind.LISTENS_TO: "dotted: a handler subscribes to the target's events",
    Kind.MODEL_RELATIONS: "thick: declared in `model_relations_to`; its models may "
    "reference the target's",
    Kind.BASELINED: "red, dashed, crossed: an undeclared crossing that the boundary "
    "baseline tolerates for now",
}

HEADER = """\
# Architecture

<!-- Written by `python manage.py domain_map` from the code: do not edit by hand.
     `python manage.py domain_map --check` (pre-commit and CI) fails when it is stale. -->

The domains and whom each relies on, read from the code: `depends_on` and
`model_relations_to` in each domain's `apps.py`, and the event subscriptions in its
`handlers` module. An arrow points from a domain to one it relies on.
"""


def render(graph: DomainGraph, canvases: list[Canvas]) -> str:
    sections = [HEADER, mermaid(graph), legend(graph), *map(canvas_section, canvases)]
    return "\n".join(sections)


def node(domain: str) -> str:
    """A node id no Mermaid keyword can clash with (a domain may be called `end`)."""
    return f"d_{domain}"


def mermaid(graph: DomainGraph) -> str:
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'    {node(domain)}["{domain}"]' for domain in graph.domains]
    lines += [f"    {edge_line(edge)}" for edge in graph.edges]
    baselined = [str(i) for i, edge in enumerate(graph.edges) if edge.kind is Kind.BASELINED]
    if baselined:
        lines.append(f"    linkStyle {','.join(baselined)} {BASELINED_STYLE}")
    return "\n".join([*lines, "```", ""])


def edge_line(edge: Edge) -> str:
    arrow = ARROWS[edge.kind]
    return f"{node(edge.source)} {arrow}|{edge.kind.value}| {node(edge.target)}"


def legend(graph: DomainGraph) -> str:
    kinds: list[Kind] = [kind for kind in Kind if kind is not Kind.BASELINED]
    if any(edge.kind is Kind.BASELINED for edge in graph.edges):
        kinds.append(Kind.BASELINED)
    rows = [f"| {kind.value} | {LEGEND[kind]} |" for kind in kinds]
    return "\n".join(["| arrow | meaning |", "| --- | --- |", *rows, ""])


def code(text: str) -> str:
    """`text` as inline code, even when it holds backticks."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def items(label: str, values: list[str]) -> str:
    """`- **Label**:` then one nested item per value, or `none`."""
    if not values:
        return f"- **{label}**: none"
    return "\n".join([f"- **{label}**:", *(f"  - {value}" for value in values)])


def inline(label: str, values: list[str]) -> str:
    return f"- **{label}**: {', '.join(values) or 'none'}"


def used_by(dependents: dict[str, list[Kind]]) -> list[str]:
    return [
        f"{domain} ({', '.join(kind.value for kind in kinds)})"
        for domain, kinds in sorted(dependents.items())
    ]


def published(canvas: Canvas) -> list[str]:
    lines = []
    for event in canvas.events:
        listeners = canvas.listeners.get(event.name)
        suffix = f", listened to by {', '.join(listeners)}" if listeners else ""
        lines.append(code(str(event)) + suffix)
    return lines


def listened_to(canvas: Canvas) -> list[str]:
    return [
        f"{code(f'{s.publisher}.{s.event}')} by {code(s.handler)}"
        + (" (durable)" if s.durable else "")
        for s in canvas.subscriptions
    ]


def canvas_section(canvas: Canvas) -> str:
    declaration = canvas.declaration
    lines = [
        f"## {canvas.domain}",
        "",
        f"- **Declared in**: {code(declaration.config_file.as_posix())} "
        f"({code(declaration.config_class)})",
        inline("Depends on", sorted(declaration.depends_on)),
        inline("Model relations to", sorted(declaration.model_relations_to)),
        inline("Used by", used_by(canvas.used_by)),
        items("Services", [code(str(f)) for f in canvas.services]),
        inline("Service types", [code(name) for name in canvas.service_types]),
        items("Events published", published(canvas)),
        items("Events listened to", listened_to(canvas)),
        inline("Models", [code(name) for name in canvas.models]),
        items("HTTP endpoints", [f"{code(str(e))} ({code(e.view)})" for e in canvas.endpoints]),
        items("Background tasks", [code(str(f)) for f in canvas.tasks]),
        f"- **Extraction**: {code(f'python manage.py extraction_report {canvas.domain}')}",
        "",
    ]
    return "\n".join(lines)
