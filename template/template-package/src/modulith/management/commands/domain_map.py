"""`python manage.py domain_map`: write docs/architecture.md from the code.

`--check` writes nothing and fails when the committed file differs from what the code
gives now; pre-commit and CI run it, so the map is never out of date.
"""

import difflib
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from modulith.architecture.canvas import canvases
from modulith.architecture.document import render
from modulith.architecture.graph import load_graph, load_project
from modulith.domains import project_root

RELATIVE_PATH = "docs/architecture.md"
DIFF_LINES = 40  # enough to see what changed, short enough for a CI log


class Command(BaseCommand):
    help = "Write docs/architecture.md (domain graph and canvases); --check: fail if stale."
    # The map describes the code as it is, even while a system check fails.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit non-zero when docs/architecture.md is out of date",
        )

    def handle(self, *args: object, **options: object) -> None:
        architecture_file = project_root() / RELATIVE_PATH
        project = load_project()  # read once, for the graph and the canvases
        graph = load_graph(project)
        text = render(graph, canvases(graph, project))
        committed = architecture_file.read_text() if architecture_file.is_file() else None
        if committed == text:
            self.stdout.write(f"{RELATIVE_PATH} is up to date.")
        elif options["check"]:
            self.stdout.write(short_diff(committed or "", text))
            state = "is missing" if committed is None else "is out of date"
            raise CommandError(
                f"{RELATIVE_PATH} {state}: run `python manage.py domain_map` and commit it."
            )
        else:
            architecture_file.parent.mkdir(exist_ok=True)
            architecture_file.write_text(text)
            self.stdout.write(
                self.style.SUCCESS(f"Wrote {RELATIVE_PATH} ({len(graph.domains)} domains).")
            )


def short_diff(committed: str, generated: str) -> str:
    """What regenerating would change, as a unified diff cut to DIFF_LINES lines."""
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            f"{RELATIVE_PATH} (committed)",
            f"{RELATIVE_PATH} (from the code)",
            lineterm="",
        )
    )
    if len(diff) > DIFF_LINES:
        diff = [*diff[:DIFF_LINES], f"... and {len(diff) - DIFF_LINES} more lines"]
    return "\n".join(diff)
