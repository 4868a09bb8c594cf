"""Discovery of the business domains under `apps/`.

Settings and URLs read `DOMAINS` instead of a hand-kept list, so adding a domain
(by `copier update` or by hand) never edits a file another domain also changes.
"""

from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"


def discover_domains(apps_dir: Path = APPS_DIR) -> list[str]:
    """Return the name of every package in `apps_dir` that has an `apps.py`, sorted."""
    return sorted(path.parent.name for path in apps_dir.glob("*/apps.py"))


def has_api(domain: str, apps_dir: Path = APPS_DIR) -> bool:
    """Tell whether the domain publishes HTTP endpoints in `api/urls.py`."""
    return (apps_dir / domain / "api" / "urls.py").is_file()


DOMAINS: list[str] = discover_domains()
