"""`make test-affected` in a generated project's git repository, through each entry point.

The project (orders, inventory, payments, notifications; notifications subscribes to
orders' events) is committed on `main`, then changed the way a branch would be. Each
run's JUnit report says which tests ran: exactly those of the expected domains, all
passing.
"""

import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Render
from tests.helpers import SCENARIOS, TEMPLATE_ROOT, project_env, run, writable_copy

pytestmark = pytest.mark.project

GIT_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]


class Repository:
    """A writable, committed copy of the default project, run with its installed environment."""

    def __init__(self, root: Path, venv: Path, reports: Path) -> None:
        self.root = root
        self.venv = venv
        self.reports = reports

    def git(self, *args: str) -> str:
        return run(["git", *GIT_IDENTITY, *args], cwd=self.root).stdout

    def change(self, relative: str, line: str) -> None:
        with (self.root / relative).open("a") as file:
            file.write(f"\n{line}\n")

    def run_selection(self, command: list[str], **env: str) -> tuple[str, set[str]]:
        """Run the command as a shell would; return its output and the tests that ran."""
        report = self.reports / f"run-{len(list(self.reports.iterdir()))}.xml"
        result = run(
            ["bash", "-eo", "pipefail", "-c", " ".join(command)],
            cwd=self.root,
            env=project_env(
                UV_PROJECT_ENVIRONMENT=str(self.venv),
                DATABASE_URL=f"sqlite:///{self.root / 'db.sqlite3'}",
                PYTEST_ADDOPTS=f"--junitxml={report} -p no:cacheprovider",
                **env,
            ),
        )
        cases = ET.parse(report).getroot().iter("testcase")
        ran = set()
        for case in cases:
            assert not [child.tag for child in case], f"{case.attrib} did not pass"
            ran.add(f"{case.attrib['classname']}::{case.attrib['name']}")
        return result.stdout, ran


@pytest.fixture
def repository(render: Render, install: Callable[[Path], Path], tmp_path: Path) -> Repository:
    installed = install(render(SCENARIOS["defaults"]))
    root = writable_copy(installed, tmp_path / "shop")
    shutil.rmtree(root / ".git", ignore_errors=True)
    (tmp_path / "reports").mkdir()
    repository = Repository(root, installed / ".venv", tmp_path / "reports")
    repository.git("init", "--quiet", "--initial-branch=main")
    repository.git("add", "--all")
    repository.git("commit", "--quiet", "-m", "Generated")
    repository.git("checkout", "--quiet", "-b", "feature")
    return repository


def in_domains(tests: set[str], *domains: str) -> set[str]:
    return {test for test in tests if test.split(".")[:2] in [["apps", d] for d in domains]}


def test_each_change_runs_exactly_the_tests_it_reaches(
    render: Render, repository: Repository
) -> None:
    # Shared code, untracked, through the GitLab merge request job's own command.
    gitlab_job = yaml.safe_load((render(SCENARIOS["gitlab-ci"]) / ".gitlab-ci.yml").read_text())
    (test_line,) = [line for line in gitlab_job["check"]["script"] if "affected" in line]
    (repository.root / "core" / "texts.py").write_text('"""Shared wording."""\n')
    base = repository.git("rev-parse", "main").strip()
    output, everything = repository.run_selection([test_line], CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    assert "Running every test:\n  core/texts.py is shared by every domain" in output
    test_modules = {
        ".".join(path.relative_to(repository.root).with_suffix("").parts)
        for path in repository.root.glob("*/**/tests/test_*.py")
        if ".venv" not in path.relative_to(repository.root).parts
    }
    assert {test.split("::")[0] for test in everything} == test_modules
    (repository.root / "core" / "texts.py").unlink()

    # A domain others rely on, committed, through the GitHub pull request step.
    workflow = yaml.safe_load((repository.root / ".github/workflows/ci.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["ci"]["steps"] if "affected" in s.get("run", "")]
    repository.change("apps/orders/services.py", "# A change to orders.")
    repository.git("commit", "--quiet", "--all", "-m", "Change orders")
    repository.git("update-ref", "refs/remotes/origin/main", "main")
    output, ran = repository.run_selection([step["run"]], GITHUB_BASE_REF="main")
    assert "notifications  relies on orders (declared dependency, event subscription)" in output
    assert ran == in_domains(everything, "orders", "notifications")

    # A domain nobody relies on, not yet committed, through the Makefile.
    repository.git("reset", "--quiet", "--hard", "main")
    repository.change("apps/payments/services.py", "# A change to payments.")
    output, ran = repository.run_selection(["make", "test-affected", "base=main"])
    assert "Running the tests of 1 of 4 domains:\n  payments  changed: " in output
    assert ran == in_domains(everything, "payments")


def test_benchmark_runs_at_its_smallest_size() -> None:
    result = run(
        [sys.executable, "benchmarks/affected_tests.py", "--sizes", "2", "--runs", "1"],
        cwd=TEMPLATE_ROOT,
        env=project_env(),
    )

    # The change is in the second domain, which subscribes to the first: its tests only.
    figures = r"^ +2 +[\d.]+ s \( *(\d+) tests\) +[\d.]+ s \( *(\d+) tests\) +domain001$"
    match = re.search(figures, result.stdout, re.M)
    assert match, result.stdout
    full, selected = int(match.group(1)), int(match.group(2))
    assert 0 < selected < full, "the full suite runs more than the selection"
