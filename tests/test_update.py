"""`copier update` across two versions: template changes arrive, nothing of the team's is lost.

A scratch repository of the template holds 1.0.0 (the working tree) and 1.1.0, a next
release that changes the domain scaffold, adds and changes files in core and config,
renames one file and removes another. Projects are generated at 1.0.0, worked on by a
scripted team and committed, then updated.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from copier import run_copy
from copier.errors import TaskError

from tests.helpers import TEMPLATE_ROOT, Terminal, project_env, question_help, run, tool
from tests.updating import (
    DEFAULT_DOMAINS,
    Generated,
    answers_of,
    changed_domains,
    changed_paths,
    commit_all,
    conflict_leftovers,
    copy_working_tree,
    domain_snapshots,
    generate,
    git,
    play_team,
    project_checks_pass,
    redraw_map,
    release,
    tree_snapshot,
    update,
    uv,
)

pytestmark = pytest.mark.project

SCAFFOLD = Path("template", "template-package", "src", "modulith", "scaffold", "domain")
HSTS_LINE = "SECURE_HSTS_SECONDS = env.int("


def make_next_release(root: Path) -> None:
    """1.1.0: what a real release changes, in each way an update must handle."""
    template = root / "template"
    scaffold = root / SCAFFOLD
    # The domain scaffold gains a module, and services start using it.
    (scaffold / "selectors.py-tpl").write_text(
        '"""Read-only queries of the {{ domain }} domain."""\n\n\n'
        "def page_size() -> int:\n    return 50\n"
    )
    services = scaffold / "services.py-tpl"
    text = services.read_text()
    assert "from modulith.events import publish\n" in text
    services.write_text(
        text.replace(
            "from modulith.events import publish\n",
            "from modulith.events import publish\n\n"
            "from apps.{{ domain }} import selectors  # noqa: F401\n",
            1,
        )
    )
    (template / "core" / "clock.py").write_text(
        '"""One clock for the whole project."""\n\nfrom django.utils import timezone\n\n'
        "now = timezone.now\n"
    )
    production = template / "config" / "settings" / "production.py"
    text = production.read_text()
    assert "default=60 * 60 * 24 * 365)" in text
    production.write_text(text.replace("24 * 365)", "24 * 730)"))
    # core/middleware.py becomes core/health.py; the setting naming it follows.
    (template / "core" / "middleware.py").rename(template / "core" / "health.py")
    for path in template.rglob("*"):
        if path.is_file() and "core.middleware." in (text := path.read_text()):
            path.write_text(text.replace("core.middleware.", "core.health."))
    (template / ".dockerignore").unlink()


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template-repo")
    copy_working_tree(repo)
    git(repo, "init", "--quiet")
    release(repo, "1.0.0")
    make_next_release(repo)
    release(repo, "1.1.0")
    return repo


def test_next_release_reaches_everything_but_the_teams_domains(
    template_repo: Path, generated: Generated, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.0.0")
    team = play_team(project)
    team.append("core/middleware.py", "\n# Team: the balancer probes /health/ every second.\n")
    team.commit("A note on health checks")
    domains = domain_snapshots(project)

    with pytest.raises(TaskError):
        update(project)

    # Reported, and kept: the file the template renamed held the team's edits.
    assert (
        "core/middleware.py: the template no longer generates this file" in capfd.readouterr().err
    )
    assert (project / "core" / "middleware.py").is_file()
    assert team.missing_lines() == []
    assert changed_domains(project, domains) == []
    assert not (project / "apps" / "notifications").exists(), "a deleted domain stays deleted"
    assert tree_snapshot(project, "apps/inventory/api") == {}, "a deleted API stays deleted"
    assert (project / "core" / "clock.py").is_file(), "a new template file arrives"
    assert "60 * 60 * 24 * 730" in (project / "config/settings/production.py").read_text()
    assert (project / "core" / "health.py").is_file()
    assert "core.health.HealthCheckMiddleware" in (project / "config/settings/base.py").read_text()
    assert not (project / ".dockerignore").exists(), "an unedited removed file goes"
    assert 'name = "python-dateutil"' in (project / "uv.lock").read_text()
    assert answers_of(project)["_commit"] == "1.1.0"
    assert conflict_leftovers(project) == []
    # A domain added after the update gets the new scaffold, offline.
    uv(project, "run", "python", "manage.py", "startdomain", "billing")
    assert (project / "apps" / "billing" / "selectors.py").is_file(), "new domains get it all"
    billing_services = (project / "apps" / "billing" / "services.py").read_text()
    assert "from apps.billing import selectors" in billing_services
    redraw_map(project)  # `make map`, which `domain_map --check` asks for after a new domain
    project_checks_pass(project, full=False)


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_a_conflict_fails_the_update_and_every_commit(
    template_repo: Path,
    generated: Generated,
    tmp_path: Path,
    conflict: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.0.0")
    production = project / "config" / "settings" / "production.py"
    production.write_text(production.read_text().replace("60 * 60 * 24 * 365)", "3600)"))
    commit_all(project, "Shorter HSTS while we test HTTPS")

    with pytest.raises(TaskError):
        update(project, conflict=conflict)
    report = capfd.readouterr().err
    uv(project, "sync")
    uv(project, "run", "pre-commit", "install")
    commit = run(["git", "commit", "-am", "Update"], cwd=project, env=project_env(), check=False)

    leftover = "config/settings/production.py" + (".rej" if conflict == "rej" else "")
    assert conflict_leftovers(project) == [leftover]
    assert leftover in report
    assert commit.returncode == 1, "the hooks must refuse the commit"
    assert leftover in commit.stdout + commit.stderr


def test_add_domain_keeps_the_teams_lock_and_refuses_an_existing_folder(
    template_repo: Path, generated: Generated, tmp_path: Path
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed; the README's command is `make add-domain`")
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    uv(project, "add", "--quiet", "python-dateutil>=2.9")
    (project / "apps" / "returns").mkdir()
    (project / "apps" / "returns" / "notes.md").write_text("Returns, by hand, for now.\n")
    commit_all(project, "A dependency and a hand-made folder")

    run(["make", "add-domain", "name=shipping"], cwd=project, env=project_env())
    added = changed_paths(project)
    refused = run(
        ["make", "add-domain", "name=returns"], cwd=project, env=project_env(), check=False
    )

    assert {path for path in added if not path.startswith("apps/shipping/")} == set(), (
        "adding a domain changes no other file, uv.lock and the answers included"
    )
    assert "apps/shipping/migrations/0001_initial.py" in added
    assert 'name = "python-dateutil"' in (project / "uv.lock").read_text()
    uv(project, "sync", "--locked")
    assert refused.returncode == 2
    assert "apps/returns/ already exists" in refused.stdout + refused.stderr
    assert changed_paths(project, "apps/returns") == set()


def test_copier_itself_never_renders_over_a_hand_made_domain(
    template_repo: Path, generated: Generated, tmp_path: Path
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    (project / "apps" / "returns").mkdir()
    (project / "apps" / "returns" / "models.py").write_text("# Our own models, soon.\n")
    commit_all(project, "A hand-made folder")
    before = tree_snapshot(project, "apps")

    update(project, data={"domains": [*DEFAULT_DOMAINS, "returns"]}, vcs_ref="1.1.0")

    assert tree_snapshot(project, "apps") == before
    assert changed_paths(project, "apps") == set()


@pytest.mark.parametrize(
    "answers",
    [
        {"domains": ["orders", "inventory"]},
        {"domains": ["payments", "notifications", "inventory", "orders"]},
        {"worker": "none"},
    ],
    ids=["drop", "reorder", "worker-none"],
)
def test_changed_answers_never_touch_domain_code(
    template_repo: Path, generated: Generated, tmp_path: Path, answers: dict[str, object]
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    tasks = project / "apps" / "orders" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n\ndef nightly() -> None:\n    import_names([])\n")
    commit_all(project, "A nightly task")
    before = tree_snapshot(project, "apps")

    update(project, data=answers, vcs_ref="1.1.0")

    assert tree_snapshot(project, "apps") == before


def test_relative_template_path_updates_from_inside_the_project(
    template_repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "work"
    shutil.copytree(template_repo, tmp_path / "templates" / "monolith")
    workspace.mkdir()
    copier = tool("copier")
    run([copier, "copy", "--trust", "--defaults", "--vcs-ref=1.0.0", "../templates/monolith",
         "shop"], cwd=workspace)  # fmt: skip
    project = workspace / "shop"
    commit_all(project, "Generated")

    result = run([copier, "update", "--trust", "--defaults"], cwd=project, check=False)

    assert result.returncode == 0, result.stderr
    assert answers_of(project)["_commit"] == "1.1.0"
    assert answers_of(project)["_src_path"] == str(tmp_path / "templates" / "monolith")


# Migrations: a fixture release adds one that rewrites the team's code, and a later one
# whose script fails. Copier runs `before` scripts before it writes anything.
REWRITE_MIGRATION = '''"""1.1.0 renamed the setting APPROVAL_LIMIT to ORDER_APPROVAL_LIMIT."""
import pathlib, sys
files = [p for p in pathlib.Path(".").rglob("*.py") if ".venv" not in p.parts]
texts = {p: p.read_bytes() for p in files}  # read everything before writing anything
for path, text in texts.items():
    if b"APPROVAL_LIMIT" in text and b"ORDER_APPROVAL_LIMIT" not in text:
        path.write_bytes(text.replace(b"APPROVAL_LIMIT", b"ORDER_APPROVAL_LIMIT"))
        print(f"migrated {path}")
with open("migrations-run.log", "a") as log:
    log.write("1.1.0\\n")
'''
FAILING_MIGRATION = """import sys
sys.exit("1.2.0 cannot migrate this project: nothing was changed.")
"""


@pytest.fixture(scope="session")
def migrating_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("migrating-repo")
    copy_working_tree(repo)
    git(repo, "init", "--quiet")
    release(repo, "1.0.0")
    for version, script, stage in (("1.1.0", REWRITE_MIGRATION, "after"),
                                   ("1.2.0", FAILING_MIGRATION, "before")):  # fmt: skip
        (repo / "hooks" / "migrations").mkdir(exist_ok=True)
        (repo / "hooks" / "migrations" / f"to_{version}.py").write_text(script)
        config = (repo / "copier.yml").read_text()
        # A `before` script is a check, run through the read-only wrapper (README).
        wrapper = '"{{ _copier_conf.src_path }}/hooks/read_only_check.py", '
        entry = (
            f'  - version: "{version}"\n    when: "{{{{ _stage == \'{stage}\' }}}}"\n'
            f'    command: ["{{{{ _copier_python }}}}", {wrapper if stage == "before" else ""}'
            f'"{{{{ _copier_conf.src_path }}}}/hooks/migrations/to_{version}.py"]\n'
        )
        (repo / "copier.yml").write_text(config.replace("_migrations:\n", f"_migrations:\n{entry}"))
        release(repo, version)
    return repo


def test_migrations_run_once_and_a_failing_one_changes_nothing(
    migrating_repo: Path, generated: Generated, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = generated(migrating_repo, tmp_path / "shop", "1.0.0")
    settings = project / "config" / "settings" / "base.py"
    settings.write_text(settings.read_text() + "\nAPPROVAL_LIMIT = 5000\n")
    (project / ".gitignore").write_text((project / ".gitignore").read_text() + "*.log\n")
    commit_all(project, "Approval limit")

    update(project, vcs_ref="1.1.0")
    commit_all(project, "Update to 1.1.0")
    update(project, vcs_ref="1.1.0")  # the same version again: no migration runs
    with pytest.raises(TaskError):
        update(project, vcs_ref="1.2.0")

    assert "ORDER_APPROVAL_LIMIT = 5000" in settings.read_text()
    assert (project / "migrations-run.log").read_text() == "1.1.0\n"
    assert "cannot migrate this project" in capfd.readouterr().err
    assert changed_paths(project) == set(), "a failing `before` migration writes nothing"
    assert answers_of(project)["_commit"] == "1.1.0"


def test_post_copy_task_is_idempotent_outside_git(tmp_path: Path) -> None:
    project = tmp_path / "project"
    run_copy(str(TEMPLATE_ROOT), project, defaults=True, unsafe=True, skip_tasks=True, quiet=True)
    answers = '{"domains": ["orders"], "worker": "none", "events_example_subscriber": null, '
    answers += '"recopy": false}'
    task = [
        tool("python"),
        str(TEMPLATE_ROOT / "hooks" / "post_copy.py"),
        str(project),
        ".",
        answers,
    ]

    first_run = run(task, cwd=project)
    first = {
        name: (project / name).read_text() for name in (".env", "uv.lock", "apps/orders/apps.py")
    }
    second_run = run(task, cwd=project)

    assert (project / ".git").is_dir()
    assert "DJANGO_SECRET_KEY=change-me" not in first[".env"]
    assert {name: (project / name).read_text() for name in first} == first
    assert "Initialised" in first_run.stderr
    assert "Initialised" not in second_run.stderr


def test_update_benchmark_runs_at_its_smallest_size() -> None:
    result = run([tool("python"), "benchmarks/updates.py", "--sizes", "2"], cwd=TEMPLATE_ROOT)

    assert result.stdout.splitlines()[-1].split()[0] == "2"


def test_adding_a_bad_domain_name_is_refused(
    template_repo: Path, generated: Generated, tmp_path: Path
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")

    with pytest.raises(ValueError, match="'Shipping': use a-z, 0-9, _"):
        update(project, data={"domains": [*DEFAULT_DOMAINS, "Shipping"]}, vcs_ref="1.1.0")
    assert changed_paths(project) == set()


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of the project but git's own, and its bytes."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def test_every_conflict_block_is_listed_in_a_project_inside_a_larger_repository(
    tmp_path: Path,
) -> None:
    project = tmp_path / "mono" / "backend"
    project.mkdir(parents=True)
    git(project.parent, "init", "--quiet")
    block = "<<<<<<< before updating\nA = 1\n=======\nA = 2\n>>>>>>> after updating\n"
    (project / "settings.py").write_text("X = 0\n")
    commit_all(project.parent, "Start")
    (project / "settings.py").write_text(f"X = 0\n{block}Y = 0\n{block}{block}")
    (project / "urls.py.rej").write_text("@@ -1 +1 @@\n")

    result = run([tool("python"), str(TEMPLATE_ROOT / "hooks" / "after_update.py"),
                  str(TEMPLATE_ROOT), "report"], cwd=project, check=False)  # fmt: skip

    assert result.returncode == 1
    listed = [line for line in result.stderr.splitlines() if line.startswith("  - settings.py:")]
    assert [line.split(":")[1] for line in listed] == ["2", "8", "13"]
    assert "urls.py.rej: hunks that did not apply" in result.stderr


def test_a_project_in_a_subfolder_of_a_repository_keeps_the_teams_removed_files(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mono = tmp_path / "mono"
    mono.mkdir()
    git(mono, "init", "--quiet")
    (mono / "frontend.txt").write_text("The web client lives here.\n")
    project = generate(template_repo, mono / "backend", "1.1.0")
    workflow = project / ".github" / "workflows" / "ci.yml"
    workflow.write_text(workflow.read_text() + "# Team: deploys are triggered by hand.\n")
    commit_all(project, "The team's CI note")

    with pytest.raises(TaskError):
        update(project, data={"ci": "gitlab"}, vcs_ref="1.1.0")

    assert ".github/workflows/ci.yml: the template no longer" in capfd.readouterr().err
    assert "deploys are triggered by hand" in workflow.read_text()
    assert (project / ".gitlab-ci.yml").is_file()
    assert answers_of(project)["ci"] == "gitlab"


def test_recopy_and_a_copy_over_the_project_are_refused_and_change_nothing(
    template_repo: Path, generated: Generated, tmp_path: Path
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    (project / "core" / "views.py").write_text("# Our views, not yet committed.\n")
    before = snapshot(project)
    copier = tool("copier")

    recopy = run([copier, "recopy", "--trust", "--defaults"], cwd=project, check=False)
    over = run([copier, "copy", "--trust", "--defaults", str(template_repo), "."], cwd=project,
               check=False)  # fmt: skip

    for result in (recopy, over):
        assert result.returncode != 0
        assert "already holds a project generated from this template" in result.stderr
    assert snapshot(project) == before


def test_a_project_copied_with_the_readme_command_updates_and_adds_domains_with_make(
    template_repo: Path, tmp_path: Path
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed; the README's commands are `make update` and co.")
    template = tmp_path / "templates" / "django-modulith"
    shutil.copytree(template_repo, template)
    copier = tool("copier")
    # From a shell in the template's folder, which sets PWD to it.
    run([copier, "copy", "--trust", "--defaults", "--vcs-ref=1.0.0", ".", "../my-shop"],
        cwd=template, env=project_env(PWD=str(template)))  # fmt: skip
    project = tmp_path / "templates" / "my-shop"
    commit_all(project, "Generated")
    assert answers_of(project)["_src_path"] == str(template)

    # No terminal: stdin from /dev/null, as in CI or a script.
    with open("/dev/null") as nothing:
        result = subprocess.run(["make", "update"], cwd=project, env=project_env(), stdin=nothing,
                                capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert answers_of(project)["_commit"] == "1.1.0"
    run(["make", "add-domain", "name=shipping"], cwd=project, env=project_env())
    assert (project / "apps" / "shipping" / "selectors.py").is_file()


@pytest.mark.parametrize("how", ["data", "answers-file"])
def test_dropping_the_events_subscriber_domain_moves_nothing(
    template_repo: Path, generated: Generated, tmp_path: Path, how: str
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.0.0")
    assert (project / "apps" / "notifications" / "handlers.py").is_file()
    before = tree_snapshot(project, "apps")
    command = [tool("copier"), "update", "--trust", "--defaults", "--vcs-ref=1.1.0"]
    if how == "data":
        command += ["--data", "domains=[orders, inventory, payments]"]
    else:
        answers = project / ".copier-answers.yml"
        recorded = answers.read_text()
        answers.write_text(recorded.replace("subscriber: notifications", "subscriber: nowhere"))
        commit_all(project, "The subscriber answer edited by hand")

    result = run(command, cwd=project, check=False)

    assert result.returncode == 0, result.stderr
    assert tree_snapshot(project, "apps") == before
    assert answers_of(project)["_commit"] == "1.1.0"


def subscriber_lines(project: Path) -> dict[str, list[str]]:
    """The lines of the README and docs that name a domain's apps.py or handlers.py, by file:
    where the docs point at the code of the events example's subscriber."""
    found = {}
    for path in [project / "README.md", *sorted((project / "docs").glob("*.md"))]:
        if path.name != "architecture.md":  # the module map: written once, then the team's
            text = path.read_text()
            found[path.name] = [line for line in text.splitlines() if "/apps.py" in line
                                or "/handlers.py" in line]  # fmt: skip
    return found


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "unrecorded"])
def test_adding_a_domain_keeps_the_events_subscriber_the_docs_name(
    template_repo: Path, generated: Generated, tmp_path: Path, recorded: bool
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    answers = project / ".copier-answers.yml"
    assert "\nevents_example_subscriber: notifications\n" in answers.read_text()
    if not recorded:  # as commits between releases left it: the docs named the last domain
        answers.write_text(
            answers.read_text().replace("events_example_subscriber: notifications\n", "")
        )
        commit_all(project, "Generated before the subscriber was recorded")
    before = subscriber_lines(project)
    assert "`apps/notifications/apps.py` (generated that way" in str(before["boundaries.md"])
    assert "# apps/notifications/handlers.py" in str(before["events-and-tasks.md"])
    domains = "domains=[orders, inventory, payments, notifications, shipping]"
    command = [tool("copier"), "update", "--trust", "--defaults", "--vcs-ref=1.1.0"]

    for step in ([*command, "--data", domains], command):  # the next update, too
        result = run(step, cwd=project, check=False)
        assert result.returncode == 0, result.stderr
        commit_all(project, "Updated")

        assert answers_of(project)["events_example_subscriber"] == "notifications"
        assert subscriber_lines(project) == before


def test_dropping_the_events_subscriber_domain_asks_nothing_of_it(
    template_repo: Path, generated: Generated, tmp_path: Path
) -> None:
    project = generated(template_repo, tmp_path / "shop", "1.1.0")
    before = subscriber_lines(project)
    domains = ["orders", "inventory", "payments"]
    command = [tool("copier"), "update", "--trust", "--vcs-ref=1.1.0", "--data",
               f"domains=[{', '.join(domains)}]"]  # fmt: skip

    # The documented `copier update`, which asks every question again, in a terminal:
    # each is answered with its recorded answer, and the subscriber's is never asked
    # (it would come before python_version, whose rows would then never show).
    with Terminal(command, cwd=project) as terminal:
        asked = question_help(domains, answered=["domains", "events_example_subscriber"])
        for rows in asked.values():
            terminal.wait_for(*rows)
            terminal.type("\r")
        assert terminal.finish(timeout=300) == 0, "\n".join(terminal.rows())

    assert answers_of(project)["events_example_subscriber"] == "notifications"
    assert subscriber_lines(project) == before
    assert "def create_notification_for_order(" in (project / "docs/boundaries.md").read_text()
