"""A new domain's files, rendered from the Jinja templates in `scaffold/domain/`
(`*.py-tpl`, as Django names the templates of `startapp`).

The first `copier copy` renders every domain it was given (its task calls
`render_domain` for each), and `manage.py startdomain` renders one more: one
scaffold, one set of rules. Django is not needed, so Copier's own Python can run it.
"""

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from modulith.scaffold.names import (
    ACCOUNTS,
    accounts_refusal,
    config_class,
    model_name,
    model_var,
    problem,
    refusal_lines,
)

TEMPLATES = Path(__file__).parent / "domain"
# The accounts domain (django-allauth, headless): the same files in every project.
ACCOUNTS_TEMPLATES = Path(__file__).parent / "accounts"
WORKERS = ("django-q2", "celery", "none")
# Files only some domains get: the background-task example, the event example, and the
# welcome mail on the accounts domain's AccountVerified. A file of two examples (the
# handlers module) is rendered when either is.
TASK_EXAMPLE = frozenset({"tasks.py", "tests/test_tasks.py"})
EVENT_EXAMPLE = frozenset({"handlers.py", "tests/test_handlers.py"})
WELCOME_EXAMPLE = frozenset({"handlers.py", "tests/test_welcome.py"})
# Empty package markers, which need no template.
PACKAGES = ("", "api", "migrations", "tests")


class ScaffoldError(ValueError):
    """The domain cannot be rendered: a refused name, or a folder already there."""


@dataclass(frozen=True)
class Publisher:
    """The domain whose "created" event the example handler reacts to."""

    domain: str
    model: str
    var: str


@dataclass(frozen=True)
class DomainSpec:
    """What to render: a domain, and which of the examples it carries."""

    name: str
    worker: str = "none"
    task_example: bool = False  # tasks.py, enqueued by services.import_in_background
    event_publisher: str | None = None  # handlers.py, subscribed to this domain's event
    welcome: bool = False  # handlers.py: a welcome mail once an account is verified

    @property
    def with_tasks(self) -> bool:
        """The background-task example, which needs a worker."""
        return self.task_example and self.worker != "none"

    def files(self) -> list[str]:
        """The domain's files, relative to its folder, templates first."""
        templates = sorted(
            str(path.relative_to(TEMPLATES)).removesuffix("-tpl")
            for path in TEMPLATES.rglob("*.py-tpl")
        )
        examples = {
            TASK_EXAMPLE: self.with_tasks,
            EVENT_EXAMPLE: bool(self.event_publisher),
            WELCOME_EXAMPLE: self.welcome,
        }
        return [
            name
            for name in templates
            if all(name not in files for files in examples)
            or any(name in files and wanted for files, wanted in examples.items())
        ]

    def context(self) -> dict[str, object]:
        model = model_name(self.name)
        table = f"{self.name}_{model.lower()}"
        # The name Django derives for the newest-first index (Index.set_name_with_model),
        # so that `makemigrations --check` finds nothing to change.
        digest = hashlib.md5(f"{table}-created_at-ididx".encode(), usedforsecurity=False)
        publisher = self.event_publisher
        return {
            "domain": self.name,
            "model": model,
            "var": model_var(self.name),
            "config_class": config_class(self.name),
            "index_name": f"{table[:11]}_created_{digest.hexdigest()[:6]}_idx",
            "worker": self.worker,
            "example_tasks": self.with_tasks,
            "publisher": publisher
            and Publisher(publisher, model_name(publisher), model_var(publisher)),
            "welcome": self.welcome,
        }


def environment() -> jinja2.Environment:
    return jinja2.Environment(  # noqa: S701 (Python source, never HTML)
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_domain(root: Path, spec: DomainSpec, existing: list[str] | None = None) -> Path:
    """Write `apps/<name>/` under the project at `root`; return the folder.

    Refuses, touching nothing, a name the template's question would refuse (beside the
    `existing` domains) or a folder that is already there.
    """
    alone = problem(spec.name)  # the name itself first: ".." names a folder that exists
    if alone:
        raise ScaffoldError(f"'{spec.name}': {alone}")
    if (root / "apps" / spec.name).exists():
        raise ScaffoldError(f"apps/{spec.name}/ already exists: it is left as it is.")
    reason = refusal_lines([*(existing or []), spec.name])
    if reason:
        raise ScaffoldError(reason)
    if spec.worker not in WORKERS:
        raise ScaffoldError(f"unknown worker {spec.worker!r}: one of {', '.join(WORKERS)}")
    rendered = {
        name: environment().get_template(f"{name}-tpl").render(spec.context())
        for name in spec.files()
    }
    return write_domain(root, spec.name, rendered)


def render_accounts(root: Path, existing: list[str] | None = None) -> Path:
    """Write `apps/accounts/`, the accounts domain built on django-allauth; return it.

    Refuses, touching nothing, when `apps/accounts/` is there or the name is taken.
    """
    if (root / "apps" / ACCOUNTS).exists():
        raise ScaffoldError(f"apps/{ACCOUNTS}/ already exists: it is left as it is.")
    reason = accounts_refusal(existing or []) or refusal_lines([*(existing or []), ACCOUNTS])
    if reason:
        raise ScaffoldError(reason)
    # Nothing in them varies by project: copied as they are, never through Jinja.
    rendered = {
        str(path.relative_to(ACCOUNTS_TEMPLATES)).removesuffix("-tpl"): path.read_text()
        for path in sorted(ACCOUNTS_TEMPLATES.rglob("*.py-tpl"))
    }
    return write_domain(root, ACCOUNTS, rendered)


def write_domain(root: Path, name: str, rendered: dict[str, str]) -> Path:
    """Write the rendered files as `apps/<name>/`, all or nothing; return the folder."""
    target = root / "apps" / name
    if target.exists():
        raise ScaffoldError(f"apps/{name}/ already exists: it is left as it is.")
    staging = target.with_name(f".{name}.rendering")
    shutil.rmtree(staging, ignore_errors=True)
    for package in PACKAGES:
        (staging / package).mkdir(parents=True, exist_ok=True)
        (staging / package / "__init__.py").touch()
    for file, text in rendered.items():
        (staging / file).write_text(text)
    staging.rename(target)  # all or nothing: no half-written domain is ever left
    return target
