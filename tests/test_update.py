"""`copier update`: template changes arrive, user work stays, nothing is lost silently.

A git repository of the template is built with two tags: 0.2.0 is the current tree,
0.1.0 an older one that differs in known ways. Projects are generated, committed,
edited and committed again, as a team would, then updated.
"""

import shutil
from pathlib import Path

import pytest
from copier import run_copy, run_update

from tests.helpers import TEMPLATE_ROOT, project_env, run, tool

pytestmark = pytest.mark.project

GIT_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
DOMAINS = ["orders", "inventory", "payments"]
HSTS_OLD = "default=60 * 60 * 24 * 30)"
HSTS_NEW = "default=60 * 60 * 24 * 365)"


def git(cwd: Path, *args: str) -> str:
    return run(["git", *GIT_IDENTITY, *args], cwd=cwd).stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--allow-empty", "-m", message)


def copy_working_tree(destination: Path) -> None:
    """The template as it is now, uncommitted changes included, without ignored files."""
    listed = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=TEMPLATE_ROOT,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def turn_into_version_0_1_0(root: Path) -> None:
    """What 0.1.0 looked like in the parts these tests watch."""
    template = root / "template"
    (template / "core" / "domains.py").rename(template / "config" / "domains.py")
    for path in template.rglob("*"):
        if path.is_file() and "core.domains" in (text := path.read_text()):
            path.write_text(text.replace("core.domains", "config.domains"))
    (template / "gunicorn.conf.py").unlink()
    production = template / "config" / "settings" / "production.py"
    text = production.read_text()
    assert HSTS_NEW in text
    production.write_text(text.replace(HSTS_NEW, HSTS_OLD))


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template-repo")
    copy_working_tree(repo)
    turn_into_version_0_1_0(repo)
    git(repo, "init", "--quiet")
    commit_all(repo, "0.1.0")
    git(repo, "tag", "0.1.0")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    copy_working_tree(repo)
    commit_all(repo, "0.2.0")
    git(repo, "tag", "0.2.0")
    return repo


def generate(template_repo: Path, destination: Path, version: str) -> Path:
    run_copy(
        str(template_repo),
        destination,
        vcs_ref=version,
        data={"domains": DOMAINS},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    commit_all(destination, f"Generated from template {version}")
    return destination


def update(project: Path, **options: object) -> None:
    run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, **options)


def changed_paths(project: Path) -> set[str]:
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    return {line[3:] for line in status.splitlines()}


def conflict_leftovers(project: Path) -> list[str]:
    found = []
    for path in project.rglob("*"):
        if not path.is_file() or {".git", ".venv"} & set(path.relative_to(project).parts):
            continue
        if path.suffix == ".rej" or any(
            line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in path.read_text().splitlines()
        ):
            found.append(str(path.relative_to(project)))
    return found


def project_checks_pass(project: Path) -> None:
    env = project_env(DATABASE_URL=f"sqlite:///{project / 'db.sqlite3'}")
    run([tool("uv"), "sync", "--locked"], cwd=project, env=env)
    run(["uv", "run", "python", "manage.py", "check_boundaries"], cwd=project, env=env)
    run(["uv", "run", "python", "manage.py", "makemigrations", "--check"], cwd=project, env=env)
    run(["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=project, env=env)


def test_update_brings_template_changes_and_keeps_the_teams_edits(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "shop", "0.1.0")
    services = project / "apps" / "orders" / "services.py"
    services.write_text(
        services.read_text() + "\n\ndef count_orders() -> int:\n"
        '    """How many orders exist."""\n    return Order.objects.count()\n'
    )
    base_settings = project / "config" / "settings" / "base.py"
    base_settings.write_text(base_settings.read_text() + "\nORDERS_PER_CUSTOMER = 20\n")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"gunicorn>=23",', '"gunicorn>=23.0",'))
    (project / "apps" / "orders" / "catalogue.py").write_text(
        '"""Which domains exist."""\n\nfrom config.domains import DOMAINS\n\nKNOWN = DOMAINS\n'
    )
    commit_all(project, "Team work")

    update(project)

    assert "def count_orders() -> int:" in services.read_text()
    assert "ORDERS_PER_CUSTOMER = 20" in base_settings.read_text()
    assert '"gunicorn>=23.0",' in pyproject.read_text()
    assert (project / "gunicorn.conf.py").is_file(), "a new template file arrives"
    production = (project / "config" / "settings" / "production.py").read_text()
    assert HSTS_NEW in production, "a changed template line arrives"
    assert (project / "core" / "domains.py").is_file()
    assert not (project / "config" / "domains.py").exists(), "the moved module is gone"
    catalogue = (project / "apps" / "orders" / "catalogue.py").read_text()
    assert "from core.domains import DOMAINS" in catalogue, "the 0.2.0 migration ran"
    assert "_commit: 0.2.0" in (project / ".copier-answers.yml").read_text()
    assert conflict_leftovers(project) == []
    project_checks_pass(project)


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_conflicts_fail_the_projects_own_checks(
    template_repo: Path, tmp_path: Path, conflict: str
) -> None:
    project = generate(template_repo, tmp_path / "shop", "0.1.0")
    production = project / "config" / "settings" / "production.py"
    production.write_text(production.read_text().replace(HSTS_OLD, "default=3600)"))
    commit_all(project, "Shorter HSTS while we test HTTPS")

    update(project, conflict=conflict)  # Copier itself reports success
    git(project, "add", "--all")
    env = project_env()
    run([tool("uv"), "sync"], cwd=project, env=env)
    hooks = run(
        ["uv", "run", "pre-commit", "run", "--all-files", "conflict-markers"],
        cwd=project, env=env, check=False,
    )  # fmt: skip
    rejects = run(
        ["uv", "run", "pre-commit", "run", "--all-files", "rejected-hunks"],
        cwd=project, env=env, check=False,
    )  # fmt: skip

    assert conflict_leftovers(project), "the test needs a real conflict"
    if conflict == "inline":
        assert hooks.returncode == 1
        assert "config/settings/production.py:" in hooks.stdout
    else:
        assert rejects.returncode == 1
        assert "config/settings/production.py.rej" in rejects.stdout


def test_adding_a_domain_later_touches_no_existing_file(
    template_repo: Path, tmp_path: Path
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed; the README's command is `make add-domain`")
    project = generate(template_repo, tmp_path / "shop", "0.2.0")

    run(["make", "add-domain", "name=shipping"], cwd=project)

    changed = changed_paths(project)
    assert {path for path in changed if not path.startswith("apps/shipping/")} == {
        ".copier-answers.yml"
    }
    for name in ("apps.py", "models.py", "services.py", "api/urls.py", "tests/test_api.py"):
        assert f"apps/shipping/{name}" in changed
    assert "apps/shipping/migrations/0001_initial.py" in changed
    assert "- shipping" in (project / ".copier-answers.yml").read_text()
    assert conflict_leftovers(project) == []
    project_checks_pass(project)


def test_adding_a_bad_domain_name_is_refused(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "shop", "0.2.0")

    with pytest.raises(ValueError, match="'Shipping' is not a lowercase Python identifier"):
        update(project, data={"domains": [*DOMAINS, "Shipping"]}, vcs_ref="0.2.0")
    assert changed_paths(project) == set()


def test_dropping_an_edited_domain_stops_and_loses_nothing(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "shop", "0.2.0")
    services = project / "apps" / "payments" / "services.py"
    services.write_text(services.read_text() + "\n# Our refund rules live here.\n")
    commit_all(project, "Refund rules")

    with pytest.raises(ValueError, match="'payments' is no longer listed") as refusal:
        update(project, data={"domains": ["orders", "inventory"]}, vcs_ref="0.2.0")

    assert "confirm with --data 'remove_domains=[payments]'" in str(refusal.value)
    assert changed_paths(project) == set(), "nothing may change when the update stops"
    assert "# Our refund rules live here." in services.read_text()


def test_confirmed_removal_deletes_only_that_domain(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "shop", "0.2.0")
    answers = {"domains": ["orders", "inventory"], "remove_domains": ["payments"]}

    update(project, data=answers, vcs_ref="0.2.0")

    assert not (project / "apps" / "payments").exists()  # with the events example it held
    assert (project / "apps" / "orders" / "services.py").is_file()
    assert "remove_domains" not in (project / ".copier-answers.yml").read_text()


def test_post_copy_task_is_idempotent_outside_git(tmp_path: Path) -> None:
    project = tmp_path / "project"
    run_copy(str(TEMPLATE_ROOT), project, defaults=True, skip_tasks=True, quiet=True)
    task = [tool("python"), str(TEMPLATE_ROOT / "hooks" / "post_copy.py")]

    run(task, cwd=project)
    first = {name: (project / name).read_text() for name in (".env", "uv.lock")}
    second_run = run(task, cwd=project)

    assert (project / ".git").is_dir()
    assert "DJANGO_SECRET_KEY=change-me" not in first[".env"]
    assert {name: (project / name).read_text() for name in first} == first
    assert "Initialised" not in second_run.stdout


def test_post_update_task_does_nothing_in_copiers_temporary_renders(tmp_path: Path) -> None:
    project = tmp_path / "render"
    run_copy(str(TEMPLATE_ROOT), project, defaults=True, skip_tasks=True, quiet=True)

    result = run([tool("python"), str(TEMPLATE_ROOT / "hooks" / "post_update.py")], cwd=project)

    assert result.stdout == ""
    assert not (project / "uv.lock").exists()
