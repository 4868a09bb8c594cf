"""The generated project's ruff settings, read from template/pyproject.toml.jinja."""

import sys
import tomllib
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_ROOT = Path(__file__).resolve().parents[2]
RUFF = str(Path(sys.executable).parent / "ruff")


def project_pyproject() -> dict[str, Any]:
    """The generated pyproject.toml for the default answers (the ruff settings hold no
    question's answer, so any answers would do)."""
    text = (TEMPLATE_ROOT / "template" / "pyproject.toml.jinja").read_text()
    rendered = jinja2.Template(text).render(
        project_slug="shop", project_description="", author_name="", author_email="",
        worker="django-q2", use_redis_cache=False,
    )  # fmt: skip
    return tomllib.loads(rendered)


def ruff_config(path: Path) -> Path:
    """Write the project's [tool.ruff] settings to `path` as a ruff.toml; return it.

    Its patterns (per-file ignores, exclusions) are relative to the folder it is in.
    """
    ruff = project_pyproject()["tool"]["ruff"]
    lint = ruff["lint"]
    lines = [
        f"line-length = {ruff['line-length']}",
        f"extend-exclude = {ruff['extend-exclude']!r}",
        "[lint]",
        f"select = {lint['select']!r}",
    ]
    lines += ["[lint.per-file-ignores]"]
    lines += [f"{key!r} = {value!r}" for key, value in lint["per-file-ignores"].items()]
    lines += ["[lint.isort]", f"known-first-party = {lint['isort']['known-first-party']!r}"]
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path
