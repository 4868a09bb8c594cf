"""`python manage.py startdomain`, for `call_command` and `manage.py help`.

manage.py itself runs the command without setting Django up (modulith/scaffold/command.py);
this one renders the same scaffold from inside a Django process.
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from modulith.domains import project_root
from modulith.scaffold import ScaffoldError
from modulith.scaffold.command import DESCRIPTION, add_arguments, start_domain


class Command(BaseCommand):
    help = DESCRIPTION
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        worker = str(options["worker"]) if options["worker"] else None
        try:
            message = start_domain(project_root(), str(options["name"]), worker)
        except ScaffoldError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(message))
