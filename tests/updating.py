"""What the update tests share: scratch template repositories, a scripted team, checks.

Projects are generated and updated through Copier's API (and, where a user would type
it, the CLI or `make`), with real git and uv, as a team would over months.
"""

import re
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from copier import run_copy, run_update

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


def update(project: Path, **options: object) -> None:
    """`copier update` with every answer kept unless given; raises if Copier fails."""
    run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, **options)


def changed_paths(project: Path, *pathspec: str) -> set[str]:
    status = git(project, "status", "--porcelain", "--untracked-files=all", "--", *pathspec)
    return {line[3:] for line in status.splitlines()}


def conflict_leftovers(project: Path) -> list[str]:
    found = []
    for path in project.rglob("*"):
        if not path.is_file() or {".git", ".venv"} & set(path.relative_to(project).parts):
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
            if path.is_file() and "__pycache__" not in path.parts
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


def release(repo: Path, version: str) -> None:
    """Commit a scratch template's working tree and tag it as `version`."""
    commit_all(repo, version)
    git(repo, "tag", version)


def uv(project: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    return run([tool("uv"), *args], cwd=project, env=env or project_env()).stdout


def project_checks_pass(project: Path, *, full: bool = True) -> None:
    """The project's own checks, as CI runs them, from its locked environment."""
    env = project_env(DATABASE_URL=f"sqlite:///{project / 'db.sqlite3'}")
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
    deletions in domains, a domain made by hand and a whole domain deleted.
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
    team.commit("The team's work")
    return team
