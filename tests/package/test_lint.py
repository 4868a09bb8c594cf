"""The package keeps the generated project's ruff rules and strict mypy (with
django-stubs), as the project's own code does: the project's checks leave
template-package/ to these."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.package.lint import RUFF, TEMPLATE_ROOT, project_pyproject, ruff_config

PACKAGE = TEMPLATE_ROOT / "template" / "template-package"
MYPY_CACHE = TEMPLATE_ROOT / "build" / "mypy-package"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **env}
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's ruff settings, the package itself first-party."""
    folder = tmp_path_factory.mktemp("ruff")
    path = ruff_config(folder / "ruff.toml")
    text = path.read_text()
    text = text.replace(', "template-package"', "").replace(
        'known-first-party = ["', 'known-first-party = ["modulith", "'
    )
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_the_package_keeps_the_projects_ruff_rules(config: Path, command: list[str]) -> None:
    result = run([RUFF, *command, "--no-cache", "--config", str(config), "src"], cwd=PACKAGE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_is_strictly_typed(tmp_path: Path) -> None:
    mypy = project_pyproject()["tool"]["mypy"]
    overrides = project_pyproject()["tool"]["mypy"]["overrides"]
    ignored = [
        module for o in overrides for module in o["module"] if o.get("ignore_missing_imports")
    ]
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\n"
        f"strict = {mypy['strict']}\n"
        f"plugins = {', '.join(mypy['plugins'])}\n"
        "exclude = /migrations/[0-9]\n"
        "[mypy.plugins.django-stubs]\n"
        "django_settings_module = tests.package.types_settings\n"
        f"[mypy-{','.join(ignored)}]\n"
        "ignore_missing_imports = True\n"
    )

    result = run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir",
         str(MYPY_CACHE), "template/template-package/src/modulith"],
        cwd=TEMPLATE_ROOT,
        PYTHONPATH=str(TEMPLATE_ROOT),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
