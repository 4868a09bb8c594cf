"""Deep tier: generated projects are installed with uv and their real commands run.

Each command runs on SQLite and on the PostgreSQL server of this machine (skipped,
with the reason, where none answers).
"""

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import TEMPLATE_ROOT, TWELVE_DOMAINS, find_python, project_env, run, tool

pytestmark = pytest.mark.project

# Commands of the README that wait for a person or never return.
INTERACTIVE_COMMANDS = ("createsuperuser", "runserver")


def readme_commands(readme: str, heading: str) -> list[str]:
    """The shell command lines of every bash block in a README section."""
    section = re.split(r"^#+ ", readme.split(f"## {heading}\n", 1)[1], flags=re.MULTILINE)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert blocks, f"no bash block under '{heading}'"
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated exactly as the template README tells a newcomer to."""
    destination = tmp_path_factory.mktemp("cli") / "shop"
    run(
        [
            tool("copier"),
            "copy",
            "--trust",
            "--defaults",
            "--data",
            "domains=[orders, inventory, payments]",
            str(TEMPLATE_ROOT),
            str(destination),
        ],
        cwd=destination.parent,
    )
    return destination


def test_readme_quick_start_commands_all_succeed(shop: Path, database_env: dict[str, str]) -> None:
    skipped, outputs = [], []
    for line in readme_commands((shop / "README.md").read_text(), "Quick start"):
        if any(word in shlex.split(line) for word in INTERACTIVE_COMMANDS):
            skipped.append(line)
            continue
        outputs.append(run(["bash", "-ec", line], cwd=shop, env=database_env).stdout)

    assert skipped == [
        "uv run python manage.py createsuperuser",
        "uv run python manage.py runserver",
    ], "only the interactive commands may be skipped"
    report = "\n".join(outputs)
    assert re.search(r"\b\d+ passed\b", report), "the README runs the test suite"
    assert "Domain boundaries: all rules kept." in report, "the README runs the boundary check"


@pytest.fixture(scope="session")
def twelve_domains(render: Render, install: Callable[[Path], Path]) -> Path:
    return install(render({"domains": TWELVE_DOMAINS}))


@pytest.fixture(scope="session", params=["shop", "twelve_domains"])
def installed_project(request: pytest.FixtureRequest, install: Callable[[Path], Path]) -> Path:
    return install(request.getfixturevalue(request.param))


def manage(project: Path, env: dict[str, str], *args: str) -> str:
    return run(["uv", "run", "python", "manage.py", *args], cwd=project, env=env).stdout


def test_system_check_passes(installed_project: Path, database_env: dict[str, str]) -> None:
    output = manage(installed_project, database_env, "check", "--fail-level", "WARNING")
    assert "no issues" in output


def test_models_and_migrations_agree(installed_project: Path, database_env: dict[str, str]) -> None:
    output = manage(installed_project, database_env, "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in output


def test_migrate_creates_every_domain_table(
    installed_project: Path, database_env: dict[str, str]
) -> None:
    manage(installed_project, database_env, "migrate", "--no-input")
    applied = manage(installed_project, database_env, "showmigrations", "--plan")

    domains = sorted(p.name for p in (installed_project / "apps").iterdir() if p.is_dir())
    for domain in [*domains, "core"]:
        assert f"[X]  {domain}.0001_initial" in applied
    assert "[ ]" not in applied


def test_project_test_suite_passes(installed_project: Path, database_env: dict[str, str]) -> None:
    result = run(
        ["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=installed_project, env=database_env
    )
    domains = [p for p in (installed_project / "apps").iterdir() if p.is_dir()]
    passed = int(re.search(r"(\d+) passed", result.stdout).group(1))

    assert passed >= 5 * len(domains), "every domain's service and API tests must run"
    assert "failed" not in result.stdout


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_project_runs_on_the_image_pythons(render: Render, tmp_path: Path, version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed on this machine")
    project = render({"python_version": version})
    env = project_env(
        UV_PROJECT_ENVIRONMENT=str(tmp_path / f"venv-{version}"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    run([tool("uv"), "sync", "--python", python], cwd=project, env=env)
    result = run(["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=project, env=env)
    version_used = run(["uv", "run", "python", "--version"], cwd=project, env=env).stdout

    assert version_used.startswith(f"Python {version}")
    assert "failed" not in result.stdout
