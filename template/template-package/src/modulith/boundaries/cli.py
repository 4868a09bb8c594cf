"""`python manage.py check_boundaries`: every boundary rule, read from the source alone.

manage.py runs `main` without setting Django up: set-up imports every domain's models
and admin, which costs seconds in a large project and which no rule here needs. The
Django command (core/management/commands/check_boundaries.py) calls the same `check`.
"""

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from modulith.boundaries.names import BASELINE_NAME
from modulith.boundaries.scan import collector_paused, scan_project

if TYPE_CHECKING:
    from modulith.boundaries.baseline import Crossing
    from modulith.boundaries.rules import Violation

# What the command's process leaves to its end instead of freeing it (the facts read,
# the model: tens of ms on a large project). main arms it by making it hold itself: a
# cycle that gc.freeze then keeps from the collector, so nothing frees it at exit.
LEFT: list[Any] = []
# Imported only once the files are being read (see import_judges).
JUDGES = ("modulith.boundaries.model", "modulith.boundaries.baseline")
DESCRIPTION = (
    "Check the boundaries between domains (README: the boundary rules): imports, models "
    "reached by name or through public modules, relations, signal receivers, raw SQL."
)


class Output(Protocol):
    def write(self, text: str) -> object: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="write every current violation to the baseline file, to be fixed later "
        "(crossings of strict domains cannot go there)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help=f"the baseline file (default: {BASELINE_NAME} in the project)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every file again instead of reusing what the last run read",
    )


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> int:
    """The check as a command line, run in the project at `root` (default: here)."""
    parser = argparse.ArgumentParser(prog="manage.py check_boundaries", description=DESCRIPTION)
    add_arguments(parser)
    options = parser.parse_args(argv)
    # The command's process ends with the report: the collector stays off throughout, as
    # it would only walk what the check keeps, and what was read is left to the end.
    with collector_paused():
        LEFT[:] = [LEFT]  # a cycle: see LEFT
        status = check(
            root=root or Path.cwd(),
            update_baseline=options.update_baseline,
            baseline=options.baseline,
            use_cache=not options.no_cache,
        )
        # Frozen, what is still alive is left out of the collector's last pass at exit,
        # which would only walk it (tens of ms), and LEFT is never freed.
        gc.freeze()
    return status


class Verdict(NamedTuple):
    """What the rules conclude about the project, before the baseline is applied."""

    modules: int
    domains: int
    strict_domains: frozenset[str]
    violations: list["Violation"]

    def dump(self) -> tuple[Any, ...]:
        """As plain data, for the cache."""
        from dataclasses import astuple

        rows = [astuple(violation) for violation in self.violations]
        return self.modules, self.domains, tuple(sorted(self.strict_domains)), rows

    @classmethod
    def load(cls, data: Any) -> "Verdict | None":
        from modulith.boundaries.rules import Violation

        try:
            modules, domains, strict, rows = data
            return cls(modules, domains, frozenset(strict), [Violation(*row) for row in rows])
        except (TypeError, ValueError):
            return None


def find_violations(root: Path, use_cache: bool = True) -> Verdict:
    """Every rule the project breaks, sorted by file and line.

    The verdict is cached with the files' facts, under the key of their exact contents
    (scan.py): when no file changed, the rules are not applied again. The collector
    comes back once the facts are freed, so it has nothing left to walk.
    """
    with collector_paused():
        return judge(root, use_cache)


def import_judges() -> None:
    """Import what judges the files read (the model, the rules, the baseline and what
    they import): done while other processes read, as none of it reads a file."""
    for module in JUDGES:
        importlib.import_module(module)


def judge(root: Path, use_cache: bool) -> Verdict:
    found = scan_project(root, use_cache, save=False, meanwhile=import_judges)
    from modulith.boundaries import model
    from modulith.boundaries.rules import check_cycles, check_reaches

    verdict = Verdict.load(found.verdict) if found.verdict is not None else None
    if verdict is not None:
        return verdict
    project = model.Project(found.modules, found.problems)
    reaches = list(project.reaches())
    if len(LEFT) == 1:  # armed by main, holding nothing yet: one run's worth at most
        LEFT.extend((found, project, reaches))
    violations = {
        *project.problems,
        *check_reaches(reaches, project.declarations),
        *check_cycles(reaches, project.declarations),
    }
    strict = frozenset(domain for domain, d in project.declarations.items() if d.strict)
    verdict = Verdict(len(found.entries), len(project.declarations), strict, sorted(violations))
    if use_cache:
        found.save(verdict.dump())
    return verdict


def check(
    *,
    root: Path,
    update_baseline: bool = False,
    baseline: Path | None = None,
    use_cache: bool = True,
    out: Output = sys.stdout,
) -> int:
    """Report every violation the baseline does not list; 0 when there is none, else 1."""
    baseline = baseline or root / BASELINE_NAME
    verdict = find_violations(root, use_cache=use_cache)
    from modulith.boundaries.baseline import (
        NEVER_BASELINED,
        BaselineError,
        Crossing,
        compare,
        may_be_baselined,
        read_baseline,
        write_baseline,
    )

    violations, strict_domains = verdict.violations, verdict.strict_domains
    shown = os.path.relpath(baseline)
    out.write(f"Checked {verdict.modules} modules of {verdict.domains} domains.\n")
    if update_baseline:
        kept = [Crossing.of(v) for v in violations if may_be_baselined(v, strict_domains)]
        refused = [v for v in violations if not may_be_baselined(v, strict_domains)]
        if kept:
            write_baseline(kept, baseline)
            written = f"Wrote {len(kept)} known crossings to {shown}"
        else:
            written = f"Removed {shown}" if baseline.exists() else f"Nothing written to {shown}"
            baseline.unlink(missing_ok=True)
        if refused:
            never = ", ".join(sorted(NEVER_BASELINED))
            out.write(f"{written}: what follows may not wait there\n")
            out.write(f"(a strict domain's crossings, and the rules {never}).\n")
        elif kept:
            out.write(f"{written}.\n")
        else:
            out.write(f"No crossings to tolerate: {shown} is not needed.\n")
        return report(refused, [], out, known=len(kept), baseline=shown)
    try:
        comparison = compare(violations, read_baseline(baseline), strict_domains)
    except BaselineError as error:
        out.write(f"{shown}: {error}\n")
        return 1
    problems = [
        baseline_problem(crossing, baseline, strict_domains)
        for crossing in [*comparison.gone, *comparison.strict]
    ]
    return report(comparison.new, problems, out, known=len(comparison.known), baseline=shown)


def baseline_problem(crossing: "Crossing", baseline: Path, strict: Collection[str]) -> str:
    """A baseline entry that must go: its crossing is fixed, or involves a strict domain."""
    from modulith.boundaries.baseline import line_of

    location = f"{os.path.relpath(baseline)}:{line_of(crossing, baseline)}"
    which = [d for d in (crossing.source_domain, crossing.target_domain) if d in strict]
    if which:
        what = f"lists a crossing of '{which[0]}', which is strict"
        fix = (
            f"fix the crossing, then delete the entry: '{which[0]}' says strict = True in "
            "its apps.py, so none of its crossings may wait in the baseline."
        )
    else:
        what = "lists a crossing that no longer exists"
        fix = "delete the entry (the file may only shrink), or run this with --update-baseline."
    return (
        f"{location}: [baseline] {what}: {crossing.rule}, '{crossing.source_domain}' -> "
        f"'{crossing.target_domain}' in {crossing.location}: {crossing.crossing}.\n"
        f"    fix: {fix}"
    )


def report(
    violations: list["Violation"], problems: list[str], out: Output, *, known: int, baseline: str
) -> int:
    for text in [*(v.render() for v in violations), *problems]:
        out.write(f"{text}\n\n")
    tolerated = f"; {known} known crossings wait in {baseline}" if known else ""
    if violations or problems:
        broken = len(violations) + len(problems)
        out.write(f"Domain boundaries: {broken} broken{tolerated}. See the report above.\n")
        return 1
    if known:
        out.write(f"Domain boundaries: no new crossings{tolerated}.\n")
    else:
        out.write("Domain boundaries: all rules kept.\n")
    return 0
