"""The business domains under `apps/` and what each declares about its boundaries.

A domain is a package in the project's `apps/` folder with an `apps.py`. Settings,
URLs, the boundary check and the module map discover domains here instead of reading
a hand-kept list, so adding one never edits a file that another domain also changes.
"""

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.apps import AppConfig

APPS_PACKAGE = "apps"


def project_root() -> Path:
    """The project's folder: Django's BASE_DIR once settings are configured, else the
    working directory (the command-line tools run from the project's root)."""
    from django.conf import settings

    return Path(settings.BASE_DIR) if settings.configured else Path.cwd()


def discover_domains(root: Path) -> list[str]:
    """Return the name of every package in `root/apps` that has an `apps.py`, sorted."""
    return sorted(path.parent.name for path in (root / APPS_PACKAGE).glob("*/apps.py"))


def has_api(domain: str, root: Path) -> bool:
    """Tell whether the domain publishes HTTP endpoints in `api/urls.py`."""
    return (root / APPS_PACKAGE / domain / "api" / "urls.py").is_file()


@dataclass(frozen=True)
class Declaration:
    """What a domain's AppConfig declares: whom it may use, whose models it may reference,
    and whether its crossings may wait in the boundary baseline (`strict` says no)."""

    domain: str
    depends_on: frozenset[str]
    model_relations_to: frozenset[str]
    config_class: str
    config_file: Path
    strict: bool = False


def declaration_of(domain: str, config_class: "type[AppConfig]", root: Path) -> Declaration:
    """The declarations of a loaded AppConfig class."""
    return Declaration(
        domain=domain,
        depends_on=frozenset(getattr(config_class, "depends_on", ())),
        model_relations_to=frozenset(getattr(config_class, "model_relations_to", ())),
        config_class=config_class.__name__,
        config_file=Path(inspect.getfile(config_class)).resolve().relative_to(root.resolve()),
        strict=bool(getattr(config_class, "strict", False)),
    )


def load_declarations(root: Path) -> dict[str, Declaration]:
    """Read each domain's declarations from the source of its `apps.py`, without running
    it, exactly as the boundary check reads them (see modulith.boundaries.model)."""
    from modulith.boundaries.model import read_declarations

    return read_declarations(root, discover_domains(root))[0]
