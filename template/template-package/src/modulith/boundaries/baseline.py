"""Known crossings the team accepts for now, listed in a committed baseline file.

As Packwerk's `package_todo.yml`: `python manage.py check_boundaries --update-baseline`
writes every current violation to `boundaries-baseline.json`. The check then passes
with those, fails on any new one, and fails while the file lists a crossing that no
longer exists, so the file can only shrink. Crossings from or to a domain whose
AppConfig says `strict = True` never go in it. Entries name the rule, both domains, the
file and what crosses, never a line, so editing a file leaves the baseline alone.

`read_baseline()` is the way for other tools (an architecture map, say) to tell which
crossings are known.
"""

import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from modulith.boundaries.names import BASELINE_NAME
from modulith.boundaries.rules import Violation
from modulith.domains import project_root

# Broken declarations are mistakes in apps.py, not crossings to tolerate.
NEVER_BASELINED = frozenset({"declarations", "ownership", "syntax"})
ABOUT = (
    "Known boundary crossings, tolerated until fixed. Written by `python manage.py "
    "check_boundaries --update-baseline`; the check fails on any crossing not listed "
    "here and on any entry that no longer exists. Remove entries as you fix them."
)


class BaselineError(ValueError):
    """The baseline file exists but cannot be read as one."""


@dataclass(frozen=True, order=True)
class Crossing:
    """One baselined violation, keyed without its line number."""

    rule: str  # "public-interface"
    source_domain: str  # the domain (or "core") whose code crosses: "orders"
    target_domain: str  # the domain it reaches: "inventory"
    location: str  # the file, relative to the project: "apps/orders/stock.py"
    crossing: str  # what crosses: "imports apps.inventory.models"

    @classmethod
    def of(cls, violation: Violation) -> "Crossing":
        return cls(
            violation.rule,
            violation.source,
            violation.target,
            violation.file,
            violation.crossing,
        )

    def involves(self, domains: Collection[str]) -> bool:
        return self.source_domain in domains or self.target_domain in domains


def read_baseline(path: Path | None = None) -> list[Crossing]:
    """The crossings the baseline file lists, sorted; none when there is no file."""
    path = path or project_root() / BASELINE_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    try:
        entries = json.loads(text)["crossings"]
        return sorted(Crossing(**entry) for entry in entries)
    except (ValueError, KeyError, TypeError) as error:
        raise BaselineError(
            f"{path.name} is not a boundary baseline ({error}): fix it, or delete it and "
            "run `python manage.py check_boundaries --update-baseline`."
        ) from error


def write_baseline(crossings: Iterable[Crossing], path: Path) -> None:
    """Write the file with one crossing per line, sorted, so diffs stay small."""
    lines = [json.dumps(asdict(crossing)) for crossing in sorted(set(crossings))]
    body = ",\n    ".join(lines)
    path.write_text(
        f'{{\n  "about": {json.dumps(ABOUT)},\n  "crossings": [\n    {body}\n  ]\n}}\n'
        if lines
        else f'{{\n  "about": {json.dumps(ABOUT)},\n  "crossings": []\n}}\n'
    )


def line_of(crossing: Crossing, path: Path) -> int:
    """The line of the file that lists `crossing` (1 if it is written some other way)."""
    entry = json.dumps(asdict(crossing))
    lines = path.read_text().splitlines()
    return next((number for number, line in enumerate(lines, 1) if entry in line), 1)


def may_be_baselined(violation: Violation, strict_domains: Collection[str]) -> bool:
    return violation.rule not in NEVER_BASELINED and not Crossing.of(violation).involves(
        strict_domains
    )


@dataclass
class Comparison:
    """The current violations set against the baseline."""

    new: list[Violation] = field(default_factory=list)  # not listed, or never allowed: fail
    known: list[Violation] = field(default_factory=list)  # listed: pass, for now
    gone: list[Crossing] = field(default_factory=list)  # listed, no longer found: fail
    strict: list[Crossing] = field(default_factory=list)  # listed, of a strict domain: fail

    @property
    def failed(self) -> bool:
        return bool(self.new or self.gone or self.strict)


def compare(
    violations: Iterable[Violation],
    baseline: Iterable[Crossing],
    strict_domains: Collection[str],
) -> Comparison:
    listed = set(baseline)
    comparison = Comparison()
    found = set()
    for violation in violations:
        crossing = Crossing.of(violation)
        found.add(crossing)
        if crossing in listed and may_be_baselined(violation, strict_domains):
            comparison.known.append(violation)
        else:
            comparison.new.append(violation)
    for crossing in sorted(listed):
        if crossing.involves(strict_domains):
            comparison.strict.append(crossing)
        elif crossing not in found:
            comparison.gone.append(crossing)
    return comparison
