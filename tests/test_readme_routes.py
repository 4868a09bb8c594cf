"""Every address the READMEs and the docs pages name is one the generated project serves,
and every admin section they name is one its admin shows.

The template's README and docs/ pages, and the generated README and docs/ pages, name
routes in prose (`/api-docs/`) and in commands (`curl https://shop.example.com/auth/token/`);
each is requested from the
generated project (Django's test client, through every middleware) and must answer
something other than 404, so no page can send a reader to a route that is not there.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import TEMPLATE_ROOT, project_env, run

pytestmark = pytest.mark.project

# A path in a URL on this project's hosts, or a path in backticks, alone or after a method.
URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|shop\.example\.com)(?::\d+)?(/[^\s)`'\">]*)")
BACKTICKED = re.compile(r"`(?:(?:GET|POST|PUT|PATCH|DELETE) )?(/[a-z0-9_<>./-]*/)`")
# Prefixes the READMEs name as such ("under `/api/`"), not pages.
NOT_ROUTES = {"/", "/api/"}

REQUEST = """
import json, sys
from django.test import Client
client = Client(HTTP_HOST="localhost")
print(json.dumps([p for p in json.loads(sys.argv[1]) if client.get(p).status_code == 404]))
"""


def routes_named_in(text: str, domain: str) -> set[str]:
    paths = {m.group(1) for m in URL.finditer(text)} | {
        m.group(1) for m in BACKTICKED.finditer(text)
    }
    return {path.replace("<domain>", domain).split("?")[0] for path in paths} - NOT_ROUTES


def test_every_route_a_readme_names_resolves(
    render: Render, install: Callable[[Path], Path]
) -> None:
    project = install(render({}))
    domain = "orders"
    named = {page: routes_named_in(text, domain) for page, text in documentation(project).items()}
    assert named["generated README.md"], "the generated README names no route"
    assert named["generated docs/api.md"], "the generated API page names no route"

    # A page that is not there, to show that a 404 is seen as one.
    every = sorted({*set().union(*named.values()), "/no-such-page/"})
    result = run(
        [str(project / ".venv" / "bin" / "python"), "-c",
         f"import django; django.setup(); {REQUEST}", json.dumps(every)],
        cwd=project,
        env=project_env(DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONPATH=str(project)),
    )  # fmt: skip
    not_found = set(json.loads(result.stdout.splitlines()[-1]))
    assert "/no-such-page/" in not_found
    assert {readme: sorted(paths & not_found) for readme, paths in named.items()} == {
        readme: [] for readme in named
    }


# "Domain events > Event publications": an app's section of the admin, then a model's.
ADMIN_PATH = re.compile(r"\b([A-Z][a-z]+(?: [a-z]+)*) > ([A-Z][a-z]+(?: [a-z]+)*)")

SECTIONS = """
import json
from django.contrib import admin
from django.utils.text import capfirst
print(json.dumps(sorted(
    f"{model._meta.app_config.verbose_name} > {capfirst(model._meta.verbose_name_plural)}"
    for model in admin.site._registry
)))
"""


def test_every_admin_section_a_page_names_is_in_the_admin(
    render: Render, install: Callable[[Path], Path]
) -> None:
    project = install(render({}))
    named = {
        page: {" > ".join(match.groups()) for match in ADMIN_PATH.finditer(text)}
        for page, text in documentation(project).items()
    }
    assert named["generated docs/events-and-tasks.md"], "the failed events' admin page"
    result = run(
        [str(project / ".venv" / "bin" / "python"), "-c",
         f"import django; django.setup(); {SECTIONS}"],
        cwd=project,
        env=project_env(DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONPATH=str(project)),
    )  # fmt: skip
    shown = set(json.loads(result.stdout.splitlines()[-1]))
    assert {page: sorted(paths - shown) for page, paths in named.items()} == {
        page: [] for page in named
    }


def documentation(project: Path) -> dict[str, str]:
    """The READMEs and every page under docs/, the template's and the project's."""
    pages = {}
    for label, root in [("", TEMPLATE_ROOT), ("generated ", project)]:
        for path in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
            pages[f"{label}{path.relative_to(root)}"] = path.read_text()
    assert "docs/architecture.md" in pages, "the template's docs/ pages"
    assert "generated docs/architecture.md" in pages, "the generated module map"
    return pages


def test_routes_are_read_from_urls_and_backticks() -> None:
    text = "see `/api-docs/`, run curl https://shop.example.com/auth/token/ and `/api/<domain>/`"
    text += ", time `GET /health/live/`"

    assert routes_named_in(text, "orders") == {
        "/api-docs/",
        "/auth/token/",
        "/api/orders/",
        "/health/live/",
    }
