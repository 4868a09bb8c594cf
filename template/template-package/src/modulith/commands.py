"""Commands that read the project's source only, run by manage.py before Django's set-up.

Set-up imports every domain's models and admin, which costs seconds in a large project
and which none of these needs.
"""

import importlib
from collections.abc import Sequence
from pathlib import Path

# Each command's module, imported only when that command runs; each has
# `main(argv, root) -> exit status`.
SOURCE_COMMANDS = {
    "check_boundaries": "modulith.boundaries.cli",
    "startdomain": "modulith.scaffold.command",
}


def run_without_django(argv: Sequence[str], root: Path) -> int | None:
    """Run `manage.py <command> ...` if it is one of these; None when it is not."""
    if not argv or argv[0] not in SOURCE_COMMANDS:
        return None
    status: int = importlib.import_module(SOURCE_COMMANDS[argv[0]]).main(argv[1:], root)
    return status
