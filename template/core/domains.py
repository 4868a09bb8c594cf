"""The business domains under `apps/` and what each declares about its boundaries.

A domain is a package in `apps/` with an `apps.py`. Settings, URLs and the boundary
checks discover domains here instead of reading a hand-kept list, so adding one never
edits a file that another domain also changes.
"""

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

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
    """What a domain's AppConfig declares: whom it may use, whose models it may reference."""

    domain: str
    depends_on: frozenset[str]
    model_relations_to: frozenset[str]
    config_class: str
    config_file: Path


def declaration_of(domain: str, config_class: type[AppConfig]) -> Declaration:
    return Declaration(
        domain=domain,
        depends_on=frozenset(getattr(config_class, "depends_on", ())),
        model_relations_to=frozenset(getattr(config_class, "model_relations_to", ())),
        config_class=config_class.__name__,
        config_file=Path(inspect.getfile(config_class)).relative_to(BASE_DIR),
    )


def load_declarations(domains: list[str] = DOMAINS) -> dict[str, Declaration]:
    """Read each domain's declarations from its `apps.py`, without setting Django up."""
    declarations = {}
    for domain in domains:
        module = importlib.import_module(f"apps.{domain}.apps")
        (config_class,) = (
            member
            for member in vars(module).values()
            if inspect.isclass(member)
            and issubclass(member, AppConfig)
            and member.__module__ == module.__name__
        )
        declarations[domain] = declaration_of(domain, config_class)
    return declarations
