#!/usr/bin/env python
"""Django's command-line utility; local settings unless DJANGO_SETTINGS_MODULE says otherwise."""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["check_boundaries"]:
        # The boundary check reads source files only: skip Django's set-up, which
        # imports every domain and costs seconds in a large project.
        from core.boundaries.cli import main as check_boundaries

        sys.exit(check_boundaries(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
