"""Updates across this repository's real history, and every answer changed on update.

The releases listed in releases.toml, and the current commit, are tagged in a scratch
clone; the working tree is committed on top as the newest version. A project generated
at each start point is worked on by a scripted team, then updated to the working tree,
and must keep every team line and, once the team has done what the CHANGELOG says
(exactly that, nothing else), pass all of its own checks.
"""

from pathlib import Path

import pytest
from copier.errors import TaskError

from tests.updating import (
    DEFAULT_DOMAINS,
    Generated,
    answers_of,
    commit_all,
    domain_files_beyond_rewrites,
    domain_snapshots,
    git,
    play_changelog_steps,
    play_team,
    project_checks_pass,
    redraw_map,
    releases,
    tree_snapshot,
    update,
    update_resolving_conflicts,
    uv,
)

pytestmark = pytest.mark.project

ANSWER_SETS = [
    {},
    {"worker": "celery", "ci": "gitlab", "use_redis_cache": True, "python_version": "3.12"},
]


START_POINTS = [release["version"] for release in releases()] + ["main"]


@pytest.mark.parametrize("start", START_POINTS)
def test_update_from_history_keeps_the_teams_work_and_passes_every_check(
    history: tuple[Path, str],
    generated: Generated,
    tmp_path: Path,
    start: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    repo, working_tree = history
    answers = ANSWER_SETS[START_POINTS.index(start) % len(ANSWER_SETS)]
    project = generated(repo, tmp_path / "shop", start, **answers)
    team = play_team(project)
    domains = domain_snapshots(project)
    old_layout = (project / "core" / "events").is_dir()  # before the modulith package

    update_resolving_conflicts(project, working_tree, capfd)

    assert team.missing_lines() == []
    # Domains keep their files; only the release migration's rewrites of old names.
    assert domain_files_beyond_rewrites(project, domains, old_layout=old_layout) == []
    assert not (project / "apps" / "notifications").exists()
    assert 'name = "python-dateutil"' in (project / "uv.lock").read_text()
    # From a release, the steps of every newer CHANGELOG section; from main, none: an
    # update from the newest commit must need nothing the CHANGELOG does not say.
    since = None if start == "main" else start
    steps = play_changelog_steps(project, since) if since is not None else []
    assert steps or start == "main", "the CHANGELOG lists no step after updating"
    project_checks_pass(project)


# Each update changes every answer at once, so six updates take each choice from each
# value to each other value: worker and python_version go round both ways, ci and
# use_redis_cache flip each time.
ANSWER_CHAIN = [
    {"worker": "celery", "ci": "gitlab", "use_redis_cache": True, "python_version": "3.12"},
    {"worker": "none", "ci": "github", "use_redis_cache": False, "python_version": "3.11"},
    {"worker": "django-q2", "ci": "gitlab", "use_redis_cache": True, "python_version": "3.13"},
    {"worker": "none", "ci": "github", "use_redis_cache": False, "python_version": "3.11"},
    {"worker": "celery", "ci": "gitlab", "use_redis_cache": True, "python_version": "3.12"},
    {"worker": "django-q2", "ci": "github", "use_redis_cache": False, "python_version": "3.13"},
]
WORKFLOW = ".github/workflows/ci.yml"


def test_every_answer_change_keeps_domain_code_and_a_working_project(
    history: tuple[Path, str],
    generated: Generated,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    repo, working_tree = history
    project = generated(repo, tmp_path / "shop", working_tree)
    tasks = project / "apps" / "orders" / "tasks.py"
    tasks.write_text(tasks.read_text() + '\n\ndef nightly() -> None:\n    import_names(["x"])\n')
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "LABEL org.opencontainers.image.vendor=Acme\n")
    workflow = project / WORKFLOW
    workflow.write_text(workflow.read_text() + "# Team: deploys are triggered by hand.\n")
    uv(project, "add", "--quiet", "python-dateutil>=2.9")
    redraw_map(project)  # the map lists each domain's background tasks: nightly is new
    commit_all(project, "The team's work")
    domains = tree_snapshot(project, "apps")

    checked: set[str] = set()  # the git tree of each state that passed its checks
    for step, answers in enumerate(ANSWER_CHAIN):
        try:
            update(project, data=answers, vcs_ref=working_tree)
        except TaskError:
            report = capfd.readouterr().err
            # The GitHub workflow held the team's line: kept and reported, never dropped.
            assert answers["ci"] == "gitlab"
            assert f"{WORKFLOW}: the template no longer" in report
            assert "deploys are triggered by hand" in workflow.read_text()
            git(project, "rm", "--quiet", WORKFLOW)
        recorded = answers_of(project)
        assert {key: recorded[key] for key in answers} == answers, f"step {step}"
        assert tree_snapshot(project, "apps") == domains, f"step {step}: domain code changed"
        assert "vendor=Acme" in dockerfile.read_text()
        assert f"ARG PYTHON_VERSION={answers['python_version']}" in dockerfile.read_text()
        assert (project / ".gitlab-ci.yml").is_file() == (answers["ci"] == "gitlab")
        assert 'name = "python-dateutil"' in (project / "uv.lock").read_text()
        commit_all(project, f"Answers of step {step}")
        # Answers seen before may give back, file for file, a project that passed the
        # checks: the same files and lock pass them again, so only new states run them.
        last = step == len(ANSWER_CHAIN) - 1
        tree = git(project, "rev-parse", "HEAD^{tree}").strip()
        if tree not in checked or last:
            project_checks_pass(project, full=last)
            checked.add(tree)


def test_a_project_of_the_first_release_keeps_its_events_subscriber_when_domains_change(
    history: tuple[Path, str], generated: Generated, tmp_path: Path
) -> None:
    repo, working_tree = history
    first = releases()[0]["version"]
    project = generated(repo, tmp_path / "shop", first)
    assert answers_of(project)["events_example_subscriber"] == "notifications"
    # Its README named the subscriber's apps.py; the docs of later versions do.
    assert "`apps/notifications/apps.py` (generated that way" in (project / "README.md").read_text()

    update(project, data={"domains": [*DEFAULT_DOMAINS, "shipping"]}, vcs_ref=working_tree)

    assert answers_of(project)["events_example_subscriber"] == "notifications"
    boundaries = (project / "docs" / "boundaries.md").read_text()
    assert "`apps/notifications/apps.py` (generated that way" in boundaries
    assert "apps/shipping/apps.py" not in boundaries
