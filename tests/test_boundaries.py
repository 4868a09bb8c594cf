"""The boundary check in generated projects: fresh ones keep every rule, and both of
the project's entry points run it (`manage.py check_boundaries` before Django's set-up,
the system check of `manage.py check`).

Each rule, the baseline and the cache are unit-tested on the package itself
(tests/package/test_boundaries.py); here only what a generated project can show.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import SCENARIOS, project_env, run, writable_copy

pytestmark = pytest.mark.project

PROJECTS = ["defaults", "twelve-domains"]  # both contain orders and inventory


class Project:
    """A writable copy of a generated project, run with its installed environment."""

    def __init__(self, root: Path, python: Path) -> None:
        self.root = root
        self.python = python

    def append(self, relative: str, text: str) -> int:
        """Append `text`; return the line number its first line lands on."""
        path = self.root / relative
        existing = path.read_text()
        path.write_text(existing + text)
        return existing.count("\n") + 1

    def manage(self, *args: str, check: bool = False) -> tuple[int, str]:
        result = run(
            [str(self.python), "manage.py", *args],
            cwd=self.root,
            env=project_env(DATABASE_URL=f"sqlite:///{self.root / 'db.sqlite3'}"),
            check=check,
        )
        return result.returncode, result.stdout + result.stderr


@pytest.fixture(params=PROJECTS)
def project(
    request: pytest.FixtureRequest,
    render: Render,
    install: Callable[[Path], Path],
    tmp_path: Path,
) -> Project:
    installed = install(render(SCENARIOS[request.param]))
    copy = writable_copy(installed, tmp_path / "project")
    return Project(copy, installed / ".venv" / "bin" / "python")


def assert_reported(report: str, location: str, rule: str, *words: str) -> None:
    lines = [line for line in report.splitlines() if line.startswith(f"{location}: [{rule}]")]
    assert lines, f"no [{rule}] report at {location} in:\n{report}"
    for word in words:
        assert word in lines[0], f"{word!r} missing from {lines[0]!r}"


def test_clean_project_keeps_every_rule(project: Project) -> None:
    code, report = project.manage("check_boundaries")

    assert code == 0, report
    assert "Domain boundaries: all rules kept." in report


def test_both_entry_points_report_a_model_relation_of_core(project: Project) -> None:
    line = project.append(
        "core/models.py",
        "\n\nclass Tag(models.Model):\n"
        '    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE)\n',
    )

    code, report = project.manage("check_boundaries")
    check_code, check_report = project.manage("check")

    location = f"core/models.py:{line + 3}"
    assert code == 1
    assert_reported(report, location, "core-neutral", "core.Tag.order", "'orders'")
    assert check_code == 1, "manage.py check must fail too"
    assert f"{location}: [core-neutral]" in check_report
