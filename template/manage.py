#!/usr/bin/env python
"""Django's command-line utility; local settings unless DJANGO_SETTINGS_MODULE says otherwise."""

import os
import sys
from pathlib import Path

from modulith.commands import run_without_django


def main() -> None:
    # check_boundaries and startdomain read source files only: they skip Django's
    # set-up, which imports every domain and costs seconds in a large project.
    status = run_without_django(sys.argv[1:], root=Path(__file__).resolve().parent)
    if status is not None:
        sys.exit(status)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
