"""`python manage.py extraction_report <domain>`: what ties a domain to the rest.

See modulith.architecture.extraction for what the report holds and the attributes
`--telemetry` reads.
"""

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from modulith.architecture.extraction import (
    build_report,
    read_telemetry,
    render_json,
    render_markdown,
)
from modulith.architecture.graph import load_project
from modulith.domains import project_root

EPILOG = """\
Before moving a domain into a service of its own (its own repository, API calls
instead of function calls, its own database, its own deployment), this lists
everything that ties it to the rest, read from the code as the boundary check reads it:
service calls both ways with their call sites, calls inside another domain's
transaction.atomic (they stop being atomic), calls in loops (one round trip each),
events published and handled both ways, model relations and tables reached across,
migrations depending across domains, its tasks and the settings it reads, and a
checklist of the four steps with what blocks each.

--telemetry FILE adds observed figures from an OTLP JSON trace export: spans with
modulith.caller.domain, modulith.callee.domain and code.function give call counts and
latencies; spans with modulith.domain and db.system give database time per domain.

Examples:
  python manage.py extraction_report inventory
  python manage.py extraction_report inventory --format json --output inventory.json
  python manage.py extraction_report inventory --telemetry traces.json
"""


class Command(BaseCommand):
    help = "Report what ties a domain to the others, and what blocks extracting it."
    # The report describes the code as it is, even while a system check fails.
    requires_system_checks = ()

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: object) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EPILOG
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("domain", help="the domain to report on (a package in apps/)")
        parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
        parser.add_argument("--output", type=Path, help="write the report here, not to stdout")
        parser.add_argument(
            "--telemetry",
            type=Path,
            help="an OTLP JSON trace export, or the collector's file of one per line",
        )

    def handle(self, *args: object, **options: object) -> None:
        telemetry = None
        if options["telemetry"] is not None:
            try:
                telemetry = read_telemetry(options["telemetry"])  # type: ignore[arg-type]
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read the telemetry: {error}") from error
        try:
            report = build_report(load_project(), project_root(), str(options["domain"]), telemetry)
        except ValueError as error:
            raise CommandError(str(error)) from error
        render = render_json if options["format"] == "json" else render_markdown
        text = render(report)
        output = options["output"]
        if isinstance(output, Path):
            output.write_text(text)
            self.stdout.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
