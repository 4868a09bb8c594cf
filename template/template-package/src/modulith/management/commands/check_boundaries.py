"""`python manage.py check_boundaries`, for `call_command` and `manage.py help`.

manage.py itself runs the check without setting Django up (core/boundaries/cli.py);
this command runs the same check from inside a Django process.
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from modulith.boundaries import cli
from modulith.domains import project_root


class Command(BaseCommand):
    help = cli.DESCRIPTION
    # Only the boundary checks; `manage.py check` runs the rest.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        failed = cli.check(
            root=project_root(),
            update_baseline=bool(options["update_baseline"]),
            baseline=options["baseline"],  # type: ignore[arg-type]
            use_cache=not options["no_cache"],
            out=self.stdout,
        )
        if failed:
            raise CommandError("Domain boundaries are broken: see the report above.")
