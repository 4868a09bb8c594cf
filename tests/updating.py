"""What the update tests share: scratch template repositories, a scripted team, checks.

Projects are generated and updated through Copier's API (and, where a user would type
it, the CLI or `make`), with real git and uv, as a team would over months.
"""

import importlib.util
import re
import shutil
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from copier import run_copy, run_update
from copier.errors import TaskError

from tests.helpers import TEMPLATE_ROOT, project_env, run, tool

GIT_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
DEFAULT_DOMAINS = ["orders", "inventory", "payments", "notifications"]
CONFLICT_MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)


def git(cwd: Path, *args: str) -> str:
    return run(["git", *GIT_IDENTITY, *args], cwd=cwd).stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message)


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


def replace_working_tree(repo: Path) -> None:
    """Make the repository's files those of the template's working tree."""
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    copy_working_tree(repo)


def releases() -> list[dict[str, str]]:
    """The releases this repository lists in releases.toml, oldest first."""
    data = tomllib.loads((TEMPLATE_ROOT / "releases.toml").read_text())
    return list(data.get("release", []))


def generate(template: Path, destination: Path, version: str, **answers: object) -> Path:
    """`copier copy` at `version`, tasks included (git init, .env, uv lock), then commit."""
    run_copy(
        str(template),
        destination,
        vcs_ref=version,
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    commit_all(destination, f"Generated from template {version}")
    return destination


Generated = Callable[..., Path]


def update(project: Path, **options: object) -> None:
    """`copier update` with every answer kept unless given; raises if Copier fails."""
    run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, **options)


def changed_paths(project: Path, *pathspec: str) -> set[str]:
    status = git(project, "status", "--porcelain", "--untracked-files=all", "--", *pathspec)
    return {line[3:] for line in status.splitlines()}


def conflict_leftovers(project: Path) -> list[str]:
    found = []
    for path in project.rglob("*"):
        parts = set(path.relative_to(project).parts)
        if not path.is_file() or {".git", ".venv"} & parts:
            continue
        if path.suffix == ".rej" or CONFLICT_MARKER.search(path.read_text(errors="replace")):
            found.append(str(path.relative_to(project)))
    return found


def answers_of(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def tree_snapshot(project: Path, folder: str) -> dict[str, bytes]:
    """Every file under `folder` and its bytes, to compare before and after an update."""
    root = project / folder
    return (
        {
            str(path.relative_to(project)): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }
        if root.is_dir()
        else {}
    )


def domain_snapshots(project: Path) -> dict[str, dict[str, bytes]]:
    """Every domain folder under apps/ and its files, to compare after an update."""
    folders = sorted(path.name for path in (project / "apps").iterdir() if path.is_dir())
    return {name: tree_snapshot(project, f"apps/{name}") for name in folders}


def changed_domains(project: Path, before: dict[str, dict[str, bytes]]) -> list[str]:
    """The domains of `before` whose files are no longer exactly what they were."""
    return [
        name for name, files in before.items() if tree_snapshot(project, f"apps/{name}") != files
    ]


def release_migration(name: str) -> ModuleType:
    """A release migration of hooks/migrations/, as a module (its functions, unrun)."""
    path = TEMPLATE_ROOT / "hooks" / "migrations" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"release_migration_{name}", path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def domain_files_beyond_rewrites(
    project: Path, before: dict[str, dict[str, bytes]], *, old_layout: bool
) -> list[str]:
    """Domain files of `before` that the update changed in any way but one.

    From the `core/` layout (`old_layout`), the release migration to the modulith
    package rewrites the old names in every file, domains included: each file must be
    exactly that rewrite of what the team had. Otherwise it must be untouched.
    """
    migration = release_migration("modulith_package") if old_layout else None
    changed = []
    for files in before.values():
        for relative, content in files.items():
            path = project / relative
            now = path.read_text() if path.is_file() else None
            expected = content.decode()
            if migration is not None:
                expected = migration.rewrite(expected)
            if now != expected:
                changed.append(relative)
    added = {
        relative
        for name in before
        for relative in tree_snapshot(project, f"apps/{name}")
        if relative not in before[name]
    }
    return sorted({*changed, *added})


def release(repo: Path, version: str) -> None:
    """Commit a scratch template's working tree and tag it as `version`."""
    commit_all(repo, version)
    git(repo, "tag", version)


def uv(project: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    return run([tool("uv"), *args], cwd=project, env=env or project_env()).stdout


def sqlite_env(project: Path) -> dict[str, str]:
    return project_env(DATABASE_URL=f"sqlite:///{project / 'db.sqlite3'}")


def redraw_map(project: Path) -> None:
    """`make map`, as a team runs it after adding or deleting a domain: pre-commit's and
    CI's `domain_map --check` (and the project's own test of the map) refuse a stale
    docs/architecture.md. Projects from before the module map have no map to redraw."""
    if (project / "docs" / "architecture.md").is_file():
        uv(project, "run", "python", "manage.py", "domain_map", env=sqlite_env(project))


CHANGELOG = TEMPLATE_ROOT / "CHANGELOG.md"
STEP = re.compile(r"^  \d+\. (.*?)(?=^  \d+\. |^- |^#|\Z)", re.MULTILINE | re.DOTALL)
COMMAND = re.compile(r"`(uv run [^`]+)`")


def changelog_commands(since: str | None) -> list[str]:
    """The commands of the numbered steps after updating, as CHANGELOG.md writes them,
    in every section newer than release `since` (all of them if None), oldest first:
    the first `uv run ...` of each step that has one (the update itself, conflicts and
    kept files are the test's own)."""
    sections = re.split(r"^## ", CHANGELOG.read_text(), flags=re.MULTILINE)[1:]
    versions = [section.split(None, 1)[0] for section in sections]
    newer = sections[: versions.index(since)] if since is not None else sections
    commands = []
    for section in reversed(newer):
        for step in STEP.finditer(section):
            found = COMMAND.search(" ".join(step.group(1).split()))
            if found:
                commands.append(found.group(1))
    return commands


def play_changelog_steps(
    project: Path, since: str | None, env: Mapping[str, str] | None = None
) -> list[str]:
    """Run in the project what CHANGELOG.md tells a team updating from release `since`
    to run, exactly as written (on SQLite unless `env` names a database). Returns the
    commands, for the test to check."""
    commands = changelog_commands(since)
    for command in commands:
        run(command.split(), cwd=project, env=env or sqlite_env(project))
    return commands


def project_checks_pass(project: Path, *, full: bool = True) -> None:
    """The project's own checks, as CI runs them, from its locked environment."""
    env = sqlite_env(project)
    uv(project, "sync", "--locked", env=env)
    commands = [
        ["python", "manage.py", "check_boundaries"],
        ["python", "manage.py", "makemigrations", "--check", "--dry-run"],
        ["pytest", "-p", "no:cacheprovider", "-q"],
    ]
    if full:
        commands += [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]]
    for command in commands:
        run(["uv", "run", "--locked", *command], cwd=project, env=env)


@dataclass
class Team:
    """A team working on its project between updates; remembers every line it wrote."""

    project: Path
    lines: dict[str, list[str]] = field(default_factory=dict)

    def append(self, relative: str, text: str) -> None:
        path = self.project / relative
        path.write_text(path.read_text() + text)
        self.lines.setdefault(relative, []).extend(
            line for line in text.splitlines() if line.strip()
        )

    def write(self, relative: str, text: str) -> None:
        path = self.project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.lines.setdefault(relative, []).extend(
            line for line in text.splitlines() if line.strip()
        )

    def delete(self, relative: str) -> None:
        git(self.project, "rm", "-r", "--quiet", relative)

    def add_dependency(self, requirement: str) -> None:
        uv(self.project, "add", "--quiet", requirement)

    def commit(self, message: str) -> None:
        commit_all(self.project, message)

    def missing_lines(self) -> list[str]:
        """Every line the team wrote that is no longer in its file."""
        missing = []
        for relative, lines in self.lines.items():
            path = self.project / relative
            text = path.read_text() if path.is_file() else ""
            missing += [f"{relative}: {line}" for line in lines if line not in text]
        return missing


HAND_MADE_DOMAIN = {
    "apps/shipping/__init__.py": "",
    "apps/shipping/apps.py": """from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "apps.shipping"
    label = "shipping"

    depends_on: tuple[str, ...] = ()
    model_relations_to: tuple[str, ...] = ()
""",
    "apps/shipping/services.py": '''"""Public interface of the shipping domain."""


def parcels_for(weight_grams: int) -> int:
    """How many parcels a shipment of this weight needs (20 kg each)."""
    return max(1, -(-weight_grams // 20_000))
''',
    "apps/shipping/tests/__init__.py": "",
    "apps/shipping/tests/test_services.py": """from apps.shipping import services


def test_heavy_shipments_need_more_parcels() -> None:
    assert services.parcels_for(45_000) == 3
""",
}


def play_team(project: Path) -> Team:
    """What a team does in the months between two updates, committed.

    Edits in core, config, README, compose and pyproject (with `uv add`), edits and
    deletions in domains, a domain made by hand and a whole domain deleted, and the
    module map redrawn for them (`make map`), as the project's checks require.
    """
    team = Team(project)
    domains = [str(name) for name in answers_of(project)["domains"]]  # type: ignore[union-attr]
    first, second, last = domains[0], domains[1], domains[-1]
    team.append("core/views.py", "\n\n# Team: health stays unauthenticated for the balancer.\n")
    team.append(
        "config/settings/base.py", "\n# Team: orders above it need approval.\nLIMIT = 5000\n"
    )
    team.append("README.md", "\nDeploys happen on Tuesdays, after the team's review.\n")
    team.append("compose.yaml", "# Team: run `docker compose up app` for the API alone.\n")
    team.add_dependency("python-dateutil>=2.9")
    team.append(
        f"apps/{first}/services.py",
        f'\n\ndef count_{first}() -> int:\n    """How many exist (the team\'s own function)."""\n'
        f"    return {first.title().rstrip('s')}.objects.count()\n",
    )
    # The team does not want the second domain's API: view, URLs and its tests go.
    team.delete(f"apps/{second}/api")
    team.delete(f"apps/{second}/tests/test_api.py")
    team.delete(f"apps/{last}")
    for relative, text in HAND_MADE_DOMAIN.items():
        team.write(relative, text)
    redraw_map(project)
    team.commit("The team's work")
    return team


MARKER_LINE = re.compile(r"^(<<<<<<< .*|=======|>>>>>>> .*)\n", re.MULTILINE)


def keep_both_sides(project: Path, relative: str) -> None:
    """Resolve a conflict the way a team does when both sides only add or drop lines."""
    path = project / relative
    path.write_text(MARKER_LINE.sub("", path.read_text()))


def update_resolving_conflicts(
    project: Path, vcs_ref: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Update; when the update stops on conflicts, check that each is reported and
    outside the domains, then resolve it as a team would (both sides kept)."""
    try:
        update(project, vcs_ref=vcs_ref)
    except TaskError:  # conflicts are listed and fail the update
        report = capfd.readouterr().err
        for relative in conflict_leftovers(project):
            assert f"{relative}:" in report, f"{relative} has a conflict the update hid"
            assert not relative.startswith("apps/"), "an update touched a domain"
            keep_both_sides(project, relative)
    assert conflict_leftovers(project) == []
