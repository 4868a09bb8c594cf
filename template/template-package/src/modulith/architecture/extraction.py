"""What ties one domain to the rest: `python manage.py extraction_report <domain>`.

Extracting a domain into a service of its own takes four steps: copy the app into its
own repository, replace direct function calls with API calls, give it its own
database, deploy it on its own. Each step is blocked by some coupling, and a
transaction that spans two domains stops being one once a call crosses the network.
The report lists that coupling, read from the one model of the project
(`modulith.boundaries.model`, the boundary check's, with its cache):

- calls of public `services` functions into and out of the domain, each with its
  call site (file:line, the caller's domain and function);
- transactional coupling: such calls made inside `transaction.atomic` (a decorator
  or a `with` block, read lexically: best effort), which stop being atomic;
- chattiness: such calls inside loops (`for`, `while`, comprehensions), each of which
  becomes a network round trip;
- events: where the domain's events are constructed, which handlers of other domains
  consume them (durable or not), and which events of others the domain handles;
- model relations, tables named in raw SQL, lookups and other reaches into or out of
  the domain's models, as the boundary check records them, and its baselined crossings;
- migrations whose `dependencies` name another domain's app label, both ways;
- the domain's background tasks and the settings its code reads (`settings.X`);
- a checklist of the four steps, each ready or with what blocks it.

The call sites (with their loops and transactions), the settings read and the
migrations' dependencies are facts of the one source reader, cached with the rest; here
they are resolved through the model, for the files that reach the domain or belong to it.

Telemetry (`--telemetry FILE`): an OTLP JSON trace export (as the OpenTelemetry
collector's file exporter writes it: `resourceSpans[].scopeSpans[].spans[]`, each span
with `attributes`, `startTimeUnixNano` and `endTimeUnixNano`). Spans that carry

- `modulith.caller.domain`, `modulith.callee.domain` and `code.function` are counted
  as calls between domains: the number, total and mean duration per (caller, callee,
  function);
- `modulith.domain` and `db.system` are counted as database time of that domain: its
  total and its share of all database time in the export.

Resource attributes count for each span of the resource; a span's own win.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from modulith.boundaries.baseline import Crossing, read_baseline
from modulith.boundaries.model import Project
from modulith.boundaries.names import BASELINE_NAME, domain_of, is_test
from modulith.boundaries.rules import GET_MODEL, HANDED_OUT, IMPORT
from modulith.boundaries.scan import Module

CALLER = "modulith.caller.domain"
CALLEE = "modulith.callee.domain"
FUNCTION = "code.function"
DOMAIN = "modulith.domain"
DB_SYSTEM = "db.system"
DATA_REACHES = frozenset({"relation", "receiver", "table", "lookup", GET_MODEL, HANDED_OUT})


@dataclass(frozen=True, order=True)
class Call:
    """A call of a public service function of `callee` by code of `caller`."""

    file: str
    line: int
    caller: str  # the caller's owner: a domain, "core" or "config"
    function: str  # the calling function ("<module>" at module level)
    callee: str
    service: str  # "reserve"
    transactional: bool  # inside `transaction.atomic`
    in_loop: bool
    # Events ("orders.OrderPlaced") constructed in the same atomic block: published in
    # the caller's transaction, they are no longer atomic with the call either.
    same_transaction: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Construction:
    """An event of `publisher` constructed (to be published) by code of `owner`."""

    file: str
    line: int
    owner: str
    function: str
    publisher: str
    event: str
    block: int = field(default=0, compare=False, repr=False)  # its atomic block, 0 for none


@dataclass(frozen=True, order=True)
class Handler:
    subscriber: str
    publisher: str
    event: str
    handler: str
    durable: bool


@dataclass(frozen=True, order=True)
class DataReach:
    """A reach of the boundary check into or out of the domain's data."""

    file: str
    line: int
    source: str
    target: str
    kind: str
    what: str
    detail: str


@dataclass(frozen=True, order=True)
class MigrationDependency:
    file: str
    domain: str  # whose migration it is
    depends_on: str  # the other domain
    migration: str  # "0001_initial"


@dataclass(frozen=True, order=True)
class SettingRead:
    file: str
    line: int
    name: str


@dataclass(frozen=True, order=True)
class TracedCall:
    caller: str
    callee: str
    function: str
    count: int
    total_ms: float
    mean_ms: float


@dataclass(frozen=True)
class Step:
    name: str
    blockers: list[str]
    notes: list[str]

    @property
    def ready(self) -> bool:
        return not self.blockers


@dataclass
class Report:
    domain: str
    inbound_calls: list[Call] = field(default_factory=list)
    outbound_calls: list[Call] = field(default_factory=list)
    events_published: list[str] = field(default_factory=list)
    constructions: list[Construction] = field(default_factory=list)
    consumers: list[Handler] = field(default_factory=list)  # others handling its events
    consumed: list[Handler] = field(default_factory=list)  # its handlers of others' events
    inbound_data: list[DataReach] = field(default_factory=list)
    outbound_data: list[DataReach] = field(default_factory=list)
    baselined: list[Crossing] = field(default_factory=list)
    migrations: list[MigrationDependency] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    settings: list[SettingRead] = field(default_factory=list)
    shared_code: list[DataReach] = field(default_factory=list)  # its imports of core
    traced_calls: list[TracedCall] | None = None
    database_ms: float | None = None
    database_share: float | None = None
    checklist: list[Step] = field(default_factory=list)

    @property
    def transactional(self) -> list[Call]:
        return [c for c in [*self.inbound_calls, *self.outbound_calls] if c.transactional]

    @property
    def chatty(self) -> list[Call]:
        return [c for c in self.inbound_calls if c.in_loop]

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        for construction in data["constructions"]:
            del construction["block"]  # which atomic block: said by each call instead
        data["transactional_coupling"] = [asdict(c) for c in self.transactional]
        data["chattiness"] = [asdict(c) for c in self.chatty]
        for step, values in zip(self.checklist, data["checklist"], strict=True):
            values["ready"] = step.ready
        return data


# The call sites, as the one reader records them (boundaries/source.py)


@dataclass
class Sites:
    """Calls of public services, event constructions and `settings.X` in one module."""

    owner: str
    calls: list[Call]
    constructions: list[Construction]
    settings: list[SettingRead]


def sites_of(project: Project, module: Module, owner: str) -> Sites:
    """The module's call sites, resolved through the project's re-exports: a call of a
    public service of another domain, or a construction of a domain's event."""
    calls: list[tuple[Call, int]] = []
    constructions = []
    for line, callee, function, atomic, in_loop, block in module.facts.calls:
        name = project.resolve(callee)
        target = domain_of(name)
        inner, rest = project.split(name)
        if target is None or inner is None or "." in rest or not rest:
            continue
        kind = inner.split(".")[2] if inner.count(".") >= 2 else ""
        if kind == "services" and target != owner:
            call = Call(module.file, line, owner, function, target, rest, atomic, in_loop)
            calls.append((call, block))
        elif kind == "events" and rest in _event_names(project, target):
            constructions.append(
                Construction(module.file, line, owner, function, target, rest, block)
            )
    return Sites(
        owner,
        [
            replace(call, same_transaction=published(constructions, block)) if block else call
            for call, block in calls
        ],
        constructions,
        [SettingRead(module.file, line, name) for line, name in module.facts.settings],
    )


def published(constructions: list[Construction], block: int) -> tuple[str, ...]:
    """The events constructed in this atomic block: published in the same transaction."""
    return tuple(sorted({f"{c.publisher}.{c.event}" for c in constructions if c.block == block}))


_EVENTS: dict[tuple[int, str], set[str]] = {}


def _event_names(project: Project, domain: str) -> set[str]:
    key = (id(project), domain)
    if key not in _EVENTS:
        _EVENTS[key] = {event.name for event in project.event_types(domain)}
    return _EVENTS[key]


def reaches_domain(project: Project, name: str, domain: str) -> bool:
    """Whether the module names the domain anywhere the model records it."""
    facts = project.modules[name].facts
    prefix = f"apps.{domain}"
    named = [i[1] for i in facts.imports] + [a[1] for a in facts.attributes]
    named += [project.resolve(t) for t in facts.exports.values()]
    return any(n == prefix or n.startswith(f"{prefix}.") for n in named)


def read_sites(project: Project, domain: str) -> Iterator[Sites]:
    """The call sites of the domain's own modules and of every module reaching it."""
    for name, module in sorted(project.modules.items()):
        owner = project.owners[name]
        if is_test(name) or not owner or ".migrations." in name:
            continue
        if owner == domain or reaches_domain(project, name, domain):
            yield sites_of(project, module, owner)


def migration_dependencies(project: Project) -> list[MigrationDependency]:
    """Each migration's `dependencies` entries that name another domain's app label."""
    found = []
    for name, module in sorted(project.modules.items()):
        owner = project.owners[name]
        if owner not in project.declarations:
            continue
        for label, migration in module.facts.dependencies:
            other = project.labels.get(label)
            if other is not None and other != owner:
                found.append(MigrationDependency(module.file, owner, other, migration))
    return sorted(set(found))


# The report


def build_report(
    project: Project, root: Path, domain: str, telemetry: dict[str, object] | None = None
) -> Report:
    """Everything that ties `domain` to the rest of the project."""
    if domain not in project.declarations:
        known = ", ".join(sorted(project.declarations)) or "none"
        raise ValueError(f"{domain!r} is not a domain of this project (domains: {known}).")
    report = Report(domain)
    for sites in read_sites(project, domain):
        for call in sites.calls:
            if call.callee == domain:
                report.inbound_calls.append(call)
            elif call.caller == domain:
                report.outbound_calls.append(call)
        report.constructions += [c for c in sites.constructions if c.publisher == domain]
        if sites.owner == domain:
            report.settings += sites.settings
    report.inbound_calls.sort()
    report.outbound_calls.sort()
    report.constructions.sort()
    report.settings.sort()
    report.events_published = [str(event) for event in project.event_types(domain)]
    for handler in project.event_handlers():
        row = Handler(handler.subscriber, handler.publisher, handler.event, handler.handler,
                      handler.durable)  # fmt: skip
        if handler.publisher == domain and handler.subscriber != domain:
            report.consumers.append(row)
        elif handler.subscriber == domain and handler.publisher != domain:
            report.consumed.append(row)
    for reach in project.reaches():
        if reach.test:
            continue
        crossing = DataReach(reach.file, reach.line, reach.source, reach.target, reach.kind,
                             reach.what, reach.detail)  # fmt: skip
        if reach.kind in DATA_REACHES and reach.target == domain:
            report.inbound_data.append(crossing)
        elif reach.kind in DATA_REACHES and reach.source == domain:
            report.outbound_data.append(crossing)
    report.shared_code = sorted(shared_imports(project, domain))
    report.baselined = [c for c in read_baseline(root / BASELINE_NAME) if c.involves({domain})]
    report.migrations = [
        m for m in migration_dependencies(project) if domain in {m.domain, m.depends_on}
    ]
    report.tasks = [str(task) for task in project.functions(domain, "tasks")]
    if telemetry is not None:
        report.traced_calls = traced_calls(telemetry, domain)
        report.database_ms, report.database_share = database_time(telemetry, domain)
    report.checklist = checklist(report)
    return report


def shared_imports(project: Project, domain: str) -> Iterator[DataReach]:
    """The domain's imports of shared code (`core`): it goes with the copy."""
    for name, module in project.modules.items():
        if project.owners[name] != domain or is_test(name):
            continue
        for line, imported, _ in module.facts.imports:
            if imported == "core" or imported.startswith("core."):
                yield DataReach(module.file, line, domain, "core", IMPORT, imported, "")


def checklist(report: Report) -> list[Step]:
    domain = report.domain
    repository = Step(
        "Own repository: copy the app into a repository of its own",
        [f"{c.location}: {c.crossing} (baselined {c.rule})" for c in report.baselined],
        sorted({f"shared code goes with it: {r.what}" for r in report.shared_code}),
    )
    api_blockers = [
        f"{c.location}: {c.caller}.{c.function} calls {c.callee}.{c.service} inside "
        "transaction.atomic; it stops being atomic"
        + (f" with {', '.join(c.same_transaction)}" if c.same_transaction else "")
        for c in report.transactional
    ]
    api_blockers += [
        f"{c.location}: {c.caller}.{c.function} calls {c.callee}.{c.service} in a loop; "
        "one network round trip per iteration: batch it"
        for c in report.chatty
    ]
    api_notes = sorted({f"{domain}.{c.service} becomes an API endpoint (called by {c.caller})"
                        for c in report.inbound_calls})  # fmt: skip
    api_notes += sorted({f"{c.callee}.{c.service} becomes an API client call"
                         for c in report.outbound_calls})  # fmt: skip
    api_notes += [
        f"{h.subscriber}.{h.handler} handles {h.publisher}.{h.event}"
        f"{' (durable)' if h.durable else ' (not durable: it may miss events)'}: "
        "the event crosses a message broker"
        for h in [*report.consumers, *report.consumed]
    ]
    api = Step("Calls become API calls: replace direct function calls", api_blockers, api_notes)
    database_blockers = [
        f"{r.file}:{r.line}: {r.source} {describe(r)}"
        for r in [*report.inbound_data, *report.outbound_data]
    ]
    database_blockers += [
        f"{m.file}: migration of {m.domain} depends on {m.depends_on}'s {m.migration}"
        for m in report.migrations
    ]
    database = Step("Own database: give it a database of its own", database_blockers, [])
    earlier = [s.name.partition(":")[0] for s in (repository, api, database) if not s.ready]
    deployment_notes = [f"background task {task} runs on its own worker" for task in report.tasks]
    deployment_notes += sorted({f"reads settings.{s.name}: configure it there too"
                                for s in report.settings})  # fmt: skip
    deployment = Step(
        "Own deployment: deploy it on its own",
        [f"first: {name}" for name in earlier],
        deployment_notes,
    )
    return [repository, api, database, deployment]


def describe(reach: DataReach) -> str:
    words = {
        "relation": "relates to the model",
        "receiver": "receives signals of",
        "table": "names the table",
        "lookup": "looks up through",
        GET_MODEL: "fetches the model",
        HANDED_OUT: "takes",
    }
    detail = f" ({reach.detail})" if reach.detail else ""
    return f"{words.get(reach.kind, reach.kind)} {reach.what}{detail}"


# Telemetry


def spans(export: dict[str, object]) -> Iterator[tuple[dict[str, object], float]]:
    """Each span's attributes (resource ones under its own) and its duration in ms."""
    for resource_spans in _list(export.get("resourceSpans")):
        resource = attributes(_dict(resource_spans.get("resource")).get("attributes"))
        for scope_spans in _list(resource_spans.get("scopeSpans")):
            for span in _list(scope_spans.get("spans")):
                found = {**resource, **attributes(span.get("attributes"))}
                start = int(str(span.get("startTimeUnixNano", 0)))
                end = int(str(span.get("endTimeUnixNano", start)))
                yield found, max(end - start, 0) / 1e6


def attributes(values: object) -> dict[str, object]:
    found: dict[str, object] = {}
    for entry in _list(values):
        value = _dict(entry.get("value"))
        found[str(entry.get("key"))] = next(iter(value.values()), None) if value else None
    return found


def _list(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def traced_calls(export: dict[str, object], domain: str) -> list[TracedCall]:
    counts: Counter[tuple[str, str, str]] = Counter()
    totals: Counter[tuple[str, str, str]] = Counter()
    for found, duration in spans(export):
        caller, callee, function = (found.get(k) for k in (CALLER, CALLEE, FUNCTION))
        if caller is None or callee is None or function is None:
            continue
        key = (str(caller), str(callee), str(function))
        if domain in key[:2]:
            counts[key] += 1
            totals[key] += duration  # type: ignore[assignment]
    return [
        TracedCall(*key, counts[key], round(totals[key], 3), round(totals[key] / counts[key], 3))
        for key in sorted(counts)
    ]


def database_time(export: dict[str, object], domain: str) -> tuple[float, float]:
    """The domain's database time (ms) and its share of all database time."""
    by_domain: Counter[str] = Counter()
    for found, duration in spans(export):
        if found.get(DOMAIN) is not None and found.get(DB_SYSTEM) is not None:
            by_domain[str(found[DOMAIN])] += duration  # type: ignore[assignment]
    total = sum(by_domain.values())
    mine = by_domain.get(domain, 0.0)
    return round(mine, 3), round(mine / total, 4) if total else 0.0


def read_telemetry(path: Path) -> dict[str, object]:
    """One OTLP JSON trace export, or the collector's file exporter's output: one
    export per line (JSON Lines), read as a single export holding all their spans."""
    text = path.read_text()
    try:
        exports = [json.loads(text)]
    except json.JSONDecodeError:
        exports = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(export, dict) for export in exports):
        raise ValueError(f"{path} is not an OTLP JSON trace export.")
    resources = [resource for export in exports for resource in _list(export.get("resourceSpans"))]
    return {"resourceSpans": resources}


# Rendering


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n"


def render_markdown(report: Report) -> str:
    d = report.domain
    lines = [f"# Extracting {d}", ""]
    lines += section("Calls into " + d, [call_line(c) for c in report.inbound_calls])
    lines += section("Calls out of " + d, [call_line(c) for c in report.outbound_calls])
    lines += section("Transactional coupling", [call_line(c) for c in report.transactional])
    lines += section("Chattiness (calls into it in loops)", [call_line(c) for c in report.chatty])
    lines += section("Events it publishes", [f"`{e}`" for e in report.events_published])
    lines += section("Where its events are constructed", [
        f"`{c.file}:{c.line}` {c.owner}.{c.function}: `{c.event}`" for c in report.constructions
    ])  # fmt: skip
    lines += section("Its events handled by other domains", [handler(h) for h in report.consumers])
    lines += section("Events of other domains it handles", [handler(h) for h in report.consumed])
    lines += section("Its data reached from outside", [data(r) for r in report.inbound_data])
    lines += section("Data of other domains it reaches", [data(r) for r in report.outbound_data])
    lines += section("Baselined crossings", [
        f"`{c.location}`: {c.source_domain} -> {c.target_domain}, {c.crossing} ({c.rule})"
        for c in report.baselined
    ])  # fmt: skip
    lines += section("Migrations depending across domains", [
        f"`{m.file}`: {m.domain} depends on {m.depends_on} `{m.migration}`"
        for m in report.migrations
    ])  # fmt: skip
    lines += section("Background tasks", [f"`{t}`" for t in report.tasks])
    lines += section("Settings it reads", [f"`{s.file}:{s.line}` `settings.{s.name}`"
                                            for s in report.settings])  # fmt: skip
    if report.traced_calls is not None:
        lines += section("Traced calls", [
            f"{t.caller} -> {t.callee} `{t.function}`: {t.count} calls, {t.total_ms} ms in all, "
            f"{t.mean_ms} ms each" for t in report.traced_calls
        ])  # fmt: skip
        share = f"{(report.database_share or 0) * 100:.1f}%"
        lines += [f"Database time of {d}: {report.database_ms} ms ({share} of all).", ""]
    lines += ["## Checklist", ""]
    for step in report.checklist:
        lines.append(f"- [{'x' if step.ready else ' '}] {step.name}: "
                     f"{'ready' if step.ready else 'blocked by'}")  # fmt: skip
        lines += [f"  - {blocker}" for blocker in step.blockers]
        lines += [f"  - note: {note}" for note in step.notes]
    return "\n".join([*lines, ""])


def section(title: str, rows: Iterable[str]) -> list[str]:
    rows = list(rows)
    return [f"## {title}", "", *(f"- {row}" for row in rows or ["none"]), ""]


def call_line(call: Call) -> str:
    marks = [m for m, on in (("in transaction.atomic", call.transactional),
                             ("in a loop", call.in_loop)) if on]  # fmt: skip
    marks += [f"publishes {event} in the same transaction" for event in call.same_transaction]
    suffix = f" ({', '.join(marks)})" if marks else ""
    return (f"`{call.location}` {call.caller}.{call.function} -> "
            f"`{call.callee}.{call.service}`{suffix}")  # fmt: skip


def handler(h: Handler) -> str:
    return (f"`{h.publisher}.{h.event}` by {h.subscriber} `{h.handler}`"
            f"{' (durable)' if h.durable else ''}")  # fmt: skip


def data(r: DataReach) -> str:
    return f"`{r.file}:{r.line}` {r.source}: {describe(r)}"
