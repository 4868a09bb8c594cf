"""Session fixtures: each project is rendered, and each environment installed, once."""

import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from pytest_copie.plugin import Copie

from tests.helpers import TEMPLATE_ROOT, project_env, run, tool
from tests.updating import Generated, commit_all, generate, git, releases, replace_working_tree

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

Render = Callable[[dict[str, object]], Path]

# What each render contained when Copier (and its post-copy task) finished, before
# the deep tier installed, ran and collected anything in it.
RENDERED_FILES: dict[Path, list[Path]] = {}


@pytest.fixture(scope="session", autouse=True)
def bytecode_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where the commands this run starts write bytecode (see `project_env`): inside
    this run's temporary folder, which pytest clears in later runs. Bytecode must be
    written there: with a prefix, Python no longer reads `__pycache__` folders, so a
    process that may not write compiles every module it imports, every time."""
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """`generate(template, destination, version, **answers)`, rendered once a session
    for each template, version and answers: every call gets its own copy of that first
    project, git history included, as it was when committed."""
    originals: dict[str, Path] = {}

    def _generated(template: Path, destination: Path, version: str, **answers: object) -> Path:
        key = json.dumps([str(template), version, answers], sort_keys=True)
        if key not in originals:
            folder = tmp_path_factory.mktemp("generated") / destination.name
            originals[key] = generate(template, folder, version, **answers)
        shutil.copytree(originals[key], destination, symlinks=True)
        return destination

    return _generated


@pytest.fixture(scope="session")
def render(copie_session: Copie) -> Render:
    """Render the template with these answers (on top of the defaults), once per session."""
    projects: dict[str, Path] = {}

    def _render(answers: dict[str, object]) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in projects:
            result = copie_session.copy(extra_answers=answers)
            assert result.exception is None, result.exception
            assert result.project_dir is not None
            projects[key] = result.project_dir
            RENDERED_FILES[result.project_dir] = sorted(
                path
                for path in result.project_dir.rglob("*")
                if path.is_file() and ".git" not in path.relative_to(result.project_dir).parts
            )
        return projects[key]

    return _render


@pytest.fixture(scope="session")
def install(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Install a rendered project's environment with `uv sync`, once per set of locked
    dependencies: projects whose `uv.lock` is the same (most answers change only the
    domains) share one environment, which their `.venv` links to. A project is not
    installed into its environment, so any of them can use it.
    """
    environments: dict[str, Path] = {}

    def _install(project: Path) -> Path:
        if (project / ".venv").exists():
            return project
        locked = hashlib.sha256((project / "uv.lock").read_bytes()).hexdigest()
        if locked not in environments:
            environment = tmp_path_factory.mktemp("venv")
            env = project_env(UV_PROJECT_ENVIRONMENT=str(environment))
            run([tool("uv"), "sync", "--python", sys.executable], cwd=project, env=env)
            environments[locked] = environment
        (project / ".venv").symlink_to(environments[locked], target_is_directory=True)
        return project

    return _install


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """URL of the PostgreSQL server the deep tests use; skips when none answers."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    return POSTGRES_ADMIN_URL


@contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"tmpl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'DROP DATABASE IF EXISTS "test_{name}" WITH (FORCE)')


@pytest.fixture
def postgres_database(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with temporary_database(postgres_admin) as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_database(postgres_admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database shared by one module's tests, dropped afterwards."""
    with temporary_database(postgres_admin) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Project environment pointing DATABASE_URL at SQLite or at a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return project_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    url = request.getfixturevalue("postgres_database")
    return project_env(DATABASE_URL=url)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone with each release tagged; returns it and the working tree's version."""
    shallow = run(["git", "rev-parse", "--is-shallow-repository"], cwd=TEMPLATE_ROOT).stdout
    if shallow.strip() == "true":
        pytest.skip("this clone is shallow: the release commits are not in it")
    repo = tmp_path_factory.mktemp("history") / "template"
    run(["git", "clone", "--quiet", str(TEMPLATE_ROOT), str(repo)], cwd=repo.parent)
    latest = "0.0.0"
    for release in releases():
        git(repo, "tag", "--force", release["version"], release["commit"])  # clones have it
        latest = release["version"]
    git(repo, "tag", "main", "HEAD")
    git(repo, "tag", f"{latest}.post1", "HEAD")
    replace_working_tree(repo)
    commit_all(repo, "The working tree")
    working_tree = f"{latest}.post2"
    git(repo, "tag", working_tree)
    return repo, working_tree


# The longest modules, longest first (figures of a full run on two cores): started
# first, they end while the short ones fill the other workers, instead of one of them
# running alone at the end. Modules not listed follow in their usual order.
LONGEST_FIRST = (
    "tests/test_containers.py",
    "tests/test_project.py",
    "tests/test_update.py",
    "tests/test_accounts.py",
    "tests/test_resilience.py",
    "tests/test_update_history.py",
    "tests/test_worker.py",
    "tests/test_delivery_files.py",
    "tests/test_delivery_run.py",
    "tests/test_render.py",
    "tests/test_benchmarks.py",
    "tests/test_update_modulith.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each worker takes whole modules in this order (`--dist loadfile`)."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))
