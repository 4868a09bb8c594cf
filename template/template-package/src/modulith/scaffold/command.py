"""`python manage.py startdomain <name>`: render a new domain under `apps/`.

manage.py runs `main` before Django's set-up, as it does the boundary check: the
scaffold needs no app loaded, so the command takes well under a second at any size.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from modulith.domains import discover_domains
from modulith.scaffold import (
    WORKERS,
    DomainSpec,
    ScaffoldError,
    render_accounts,
    render_domain,
)
from modulith.scaffold.names import ACCOUNTS

DESCRIPTION = "Render a new business domain under apps/ from the template's scaffold."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the domain: a-z, 0-9 and _, e.g. shipping")
    parser.add_argument(
        "--worker",
        choices=WORKERS,
        default=None,
        help="the project's background worker (default: the MODULITH_WORKER setting)",
    )
    parser.add_argument(
        "--allauth",
        action="store_true",
        help=f"render the {ACCOUNTS} domain: sign-up, e-mail verification, login and "
        "password reset with django-allauth (name it accounts)",
    )


def configured_worker() -> str:
    """The MODULITH_WORKER setting, read without setting Django up."""
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    return str(getattr(settings, "MODULITH_WORKER", "none"))


def start_domain(root: Path, name: str, worker: str | None = None) -> str:
    """Render the domain; return what to tell the user. Raises ScaffoldError."""
    spec = DomainSpec(name, worker=worker or configured_worker())
    folder = render_domain(root, spec, existing=discover_domains(root))
    return (
        f"Created {folder.relative_to(root)}/.\nNext: declare what it uses in its apps.py "
        "(depends_on), then\n`python manage.py migrate` and `python manage.py domain_map`."
    )


ACCOUNTS_NEXT = """\
Created apps/accounts/{page}.
Next: add "allauth.*" to the modules of [[tool.mypy.overrides]] in
pyproject.toml (a library without type information), then
  uv add "django-allauth[headless]>=65.13"
  uv run python manage.py migrate
  uv run python manage.py domain_map
and set ACCOUNTS_FRONTEND_URL in production (`check --deploy` says so)."""
# Rendered by Copier with the `accounts` answer only: a project that adds the domain
# here may have no such page.
ACCOUNTS_PAGE = "docs/accounts.md"


def start_accounts(root: Path, name: str) -> str:
    """Render the accounts domain; return what to tell the user. Raises ScaffoldError."""
    if name != ACCOUNTS:
        raise ScaffoldError(f"--allauth renders the {ACCOUNTS} domain: name it {ACCOUNTS}")
    render_accounts(root, existing=discover_domains(root))
    page = f" ({ACCOUNTS_PAGE})" if (root / ACCOUNTS_PAGE).is_file() else ""
    return ACCOUNTS_NEXT.format(page=page)


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py startdomain", description=DESCRIPTION)
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        project = root or Path.cwd()
        message = (
            start_accounts(project, options.name)
            if options.allauth
            else start_domain(project, options.name, options.worker)
        )
        print(message)  # noqa: T201
    except ScaffoldError as error:
        print(f"startdomain: {error}", file=sys.stderr)  # noqa: T201
        return 2
    return 0
