"""Projects generated before the first release update to the working tree.

Their domains keep their files (the scaffold of that time), but for the release
migration's rewrites of old names, so the team adopts the API changes by hand, as the
CHANGELOG's first release says, then runs the steps of every later section; the test
plays exactly those steps and nothing else, so a step missing from the CHANGELOG fails it.
"""

from pathlib import Path

import pytest

from tests.updating import (
    Generated,
    domain_files_beyond_rewrites,
    domain_snapshots,
    play_changelog_steps,
    play_team,
    project_checks_pass,
    update_resolving_conflicts,
)

pytestmark = pytest.mark.project

# The newest commit before releases were listed: the start most unreleased projects
# share, with domains still rendered on every update and import-linter contracts.
BEFORE_FIRST_RELEASE = "fffcf4b072ee2243e92092cfb881df2cea8e4e71"


def adopt_the_api_changes(project: Path) -> None:
    """The CHANGELOG's 'What the team must do after updating', in each domain's tests."""
    for tests in project.glob("apps/*/tests/test_api.py"):
        text = tests.read_text()
        text = text.replace(".status_code == 403", ".status_code == 401")
        text = text.replace(
            'assert "name" in response.json()',
            'assert [error["attr"] for error in response.json()["errors"]] == ["name"]',
        )
        tests.write_text(text)


def test_a_project_from_before_the_first_release_updates_and_keeps_the_teams_work(
    history: tuple[Path, str],
    generated: Generated,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    repo, working_tree = history
    project = generated(repo, tmp_path / "shop", BEFORE_FIRST_RELEASE)
    team = play_team(project)
    domains = domain_snapshots(project)

    update_resolving_conflicts(project, working_tree, capfd)
    assert team.missing_lines() == []
    assert domain_files_beyond_rewrites(project, domains, old_layout=True) == []
    assert not (project / "apps" / "notifications").exists()
    assert not (project / "core" / "boundaries" / "contract.py").exists()
    assert 'name = "python-dateutil"' in (project / "uv.lock").read_text()
    adopt_the_api_changes(project)  # 0.1.0's, then the numbered steps of later sections
    assert play_changelog_steps(project, since=None)
    project_checks_pass(project)
