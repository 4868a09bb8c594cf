"""What each stage of a release migration may do, on a scratch template of three files.

`before`: read-only checks, which may refuse the update. `after`: rewrites. Copier
silently loses what a `before` script writes, so every `before` entry of copier.yml
runs through hooks/read_only_check.py, which undoes such writes and stops the update.
"""

import shutil
from pathlib import Path

import jinja2
import pytest
import yaml
from copier import run_copy
from copier.errors import TaskError

from tests.helpers import TEMPLATE_ROOT
from tests.updating import answers_of, changed_paths, commit_all, git, release, update

WRAPPER = TEMPLATE_ROOT / "hooks" / "read_only_check.py"
QUESTIONS = """_answers_file: .copier-answers.yml
name:
  type: str
  default: shop
"""
CONFIG = """_answers_file: .copier-answers.yml
_migrations:
  - version: "1.1.0"
    when: "{{ _stage == 'before' }}"
    command: %s
name:
  type: str
  default: shop
"""
DIRECT = '["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migration.py"]'
WRAPPED = (
    '["{{ _copier_python }}", "{{ _copier_conf.src_path }}/read_only_check.py", '
    '"{{ _copier_conf.src_path }}/migration.py"]'
)
# A `before` script that rewrites: a template file and one of the team's, adds a file,
# deletes one.
REWRITE = """from pathlib import Path
Path("settings.txt").write_text(Path("settings.txt").read_text().replace("LIMIT", "ORDER_LIMIT"))
Path("team.txt").write_text(Path("team.txt").read_text().replace("LIMIT", "ORDER_LIMIT"))
Path("new.txt").write_text("written before the update\\n")
Path("obsolete.txt").unlink()
"""
REFUSE = """import sys
from pathlib import Path
if "LIMIT" in Path("team.txt").read_text():
    sys.exit("1.1.0 cannot update a project that sets LIMIT: rename it first.")
"""
CHECK = """import sys
from pathlib import Path
print("checked:", Path("team.txt").read_text().strip(), file=sys.stderr)
"""


def scratch_template(root: Path, command: str, script: str) -> Path:
    """1.0.0 renders settings.txt and obsolete.txt; 1.1.0 adds a line to settings.txt
    and a `before` migration running `script` through `command`."""
    repo = root / "template"
    repo.mkdir(parents=True)
    (repo / "copier.yml").write_text(QUESTIONS)
    (repo / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}"
    )
    (repo / "settings.txt").write_text("LIMIT = 10\n")
    (repo / "obsolete.txt").write_text("kept by the team\n")
    git(repo, "init", "--quiet")
    release(repo, "1.0.0")
    (repo / "copier.yml").write_text(CONFIG % command)
    (repo / "settings.txt").write_text("LIMIT = 10\nTIMEOUT = 5\n")
    (repo / "migration.py").write_text(script)
    shutil.copy2(WRAPPER, repo / "read_only_check.py")
    release(repo, "1.1.0")
    return repo


def team_project(template: Path, destination: Path) -> Path:
    run_copy(str(template), destination, vcs_ref="1.0.0", defaults=True, unsafe=True, quiet=True)
    git(destination, "init", "--quiet")
    (destination / "team.txt").write_text("LIMIT = 20\n")
    commit_all(destination, "Generated, and the team's file")
    return destination


def files(project: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def test_copier_loses_what_a_before_stage_migration_writes_and_exits_0(tmp_path: Path) -> None:
    """Why the rule exists: without the wrapper, the rewrites vanish, silently."""
    template = scratch_template(tmp_path, DIRECT, REWRITE)
    project = team_project(template, tmp_path / "shop")

    update(project, vcs_ref="1.1.0")  # no error

    assert answers_of(project)["_commit"] == "1.1.0"
    assert (project / "settings.txt").read_text() == "LIMIT = 10\nTIMEOUT = 5\n"
    lost = "ORDER_LIMIT" not in (project / "settings.txt").read_text()
    assert lost, "Copier now keeps `before` rewrites: revisit hooks/read_only_check.py"


def test_a_before_stage_migration_that_writes_stops_the_update_and_changes_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    template = scratch_template(tmp_path, WRAPPED, REWRITE)
    project = team_project(template, tmp_path / "shop")
    before = files(project)

    with pytest.raises(TaskError):
        update(project, vcs_ref="1.1.0")

    report = capfd.readouterr().err
    assert "a `before`-stage migration changed the project" in report
    for name in ("new.txt", "obsolete.txt", "settings.txt", "team.txt"):
        assert f"  - {name}" in report
    assert files(project) == before
    assert changed_paths(project) == set()
    assert answers_of(project)["_commit"] == "1.0.0"


def test_a_before_stage_check_may_refuse_and_a_read_only_one_lets_the_update_run(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    refusing = team_project(scratch_template(tmp_path / "a", WRAPPED, REFUSE), tmp_path / "a/shop")
    before = files(refusing)
    with pytest.raises(TaskError):
        update(refusing, vcs_ref="1.1.0")
    assert "cannot update a project that sets LIMIT" in capfd.readouterr().err
    assert files(refusing) == before
    assert answers_of(refusing)["_commit"] == "1.0.0"

    checked = team_project(scratch_template(tmp_path / "b", WRAPPED, CHECK), tmp_path / "b/shop")
    update(checked, vcs_ref="1.1.0")
    assert "checked: LIMIT = 20" in capfd.readouterr().err
    assert answers_of(checked)["_commit"] == "1.1.0"
    assert (checked / "settings.txt").read_text() == "LIMIT = 10\nTIMEOUT = 5\n"


def runs_before(entry: object) -> bool:
    """Whether a `_migrations` entry runs in the `before` stage (Copier's default: after)."""
    if not isinstance(entry, dict) or "when" not in entry:
        return False
    when = entry["when"]
    rendered = jinja2.Environment(undefined=jinja2.ChainableUndefined).from_string(str(when))
    return rendered.render(_stage="before").strip().lower() not in {"", "false", "0", "none"}


def test_every_before_stage_migration_of_the_template_is_a_read_only_check() -> None:
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    entries = config.get("_migrations", [])
    assert entries, "copier.yml has no migrations: this test reads the wrong file"
    assert runs_before({"when": "{{ _stage == 'before' }}", "command": []})
    assert not runs_before({"command": []})
    for entry in filter(runs_before, entries):
        command = entry["command"]
        assert isinstance(command, list), entry
        assert command[1] == "{{ _copier_conf.src_path }}/hooks/read_only_check.py", (
            f"a `before` migration must run through hooks/read_only_check.py: {entry}"
        )
