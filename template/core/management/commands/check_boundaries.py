"""`python manage.py check_boundaries`: every boundary rule, in one command.

Rules 1-4 (imports) run through import-linter with the project's configuration in
pyproject.toml; rule 5 (model relations) through Django's system check framework.
"""

import importlinter.api  # noqa: F401  (configures import-linter, as its CLI does)
from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from importlinter.application.use_cases import lint_imports


class Command(BaseCommand):
    help = "Check the boundaries between domains: imports and model relations."
    # Only the boundary checks below; `manage.py check` runs the rest.
    requires_system_checks = ()

    def handle(self, *args: object, **options: object) -> None:
        # The use case behind the `lint-imports` CLI: the CLI itself would replace
        # Django's logging configuration.
        imports_kept = lint_imports(no_logo=True)

        relation_errors = checks.run_checks(tags=["boundaries"])
        for error in relation_errors:
            self.stdout.write(self.style.ERROR(f"{error.msg}\n    fix: {error.hint}\n"))
        self.stdout.write(f"Model relations: {len(relation_errors) or 'none'} broken.")

        if not imports_kept or relation_errors:
            raise CommandError("Domain boundaries are broken: see the report above.")
        self.stdout.write(self.style.SUCCESS("Domain boundaries: all rules kept."))
