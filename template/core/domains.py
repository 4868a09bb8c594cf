"""The business domains under `apps/` and what each declares about its boundaries.

A domain is a package in `apps/` with an `apps.py`. Settings, URLs and the boundary
checks discover domains here instead of reading a hand-kept list, so adding one never
edits a file that another domain also changes.
"""

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.apps import AppConfig

BASE_DIR = Path(__file__).resolve().parent.parent
APPS_DIR = BASE_DIR / "apps"


def discover_domains(apps_dir: Path = APPS_DIR) -> list[str]:
    """Return the name of every package in `apps_dir` that has an `apps.py`, sorted."""
    return sorted(path.parent.name for path in apps_dir.glob("*/apps.py"))


def has_api(domain: str, apps_dir: Path = APPS_DIR) -> bool:
    """Tell whether the domain publishes HTTP endpoints in `api/urls.py`."""
    return (apps_dir / domain / "api" / "urls.py").is_file()


DOMAINS: list[str] = discover_domains()


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


def declaration_of(domain: str, config_class: "type[AppConfig]") -> Declaration:
    """The declarations of a loaded AppConfig class."""
    return Declaration(
        domain=domain,
        depends_on=frozenset(getattr(config_class, "depends_on", ())),
        model_relations_to=frozenset(getattr(config_class, "model_relations_to", ())),
        config_class=config_class.__name__,
        config_file=Path(inspect.getfile(config_class)).relative_to(BASE_DIR),
        strict=bool(getattr(config_class, "strict", False)),
    )


def load_declarations(domains: list[str] = DOMAINS) -> dict[str, Declaration]:
    """Read each domain's declarations from the source of its `apps.py`, without running
    it, exactly as the boundary check reads them (see core.boundaries.index)."""
    from core.boundaries.index import read_declarations

    return read_declarations(BASE_DIR, domains)[0]
