"""The accounts domain in the scaffold: `render_accounts` (and `startdomain accounts
--allauth`) writes it whole or not at all, and a domain that welcomes verified
accounts depends on it through its services and events only; all of it keeps the
generated project's ruff rules."""

import ast
import io
import re
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from modulith.commands import run_without_django
from modulith.scaffold import DomainSpec, ScaffoldError, render_accounts, render_domain
from tests.package.lint import RUFF, ruff_config

ACCOUNTS_FILES = {
    "__init__.py",
    "apps.py",
    "backends.py",
    "checks.py",
    "events.py",
    "receivers.py",
    "services.py",
    "settings.py",
    "api/__init__.py",
    "api/serializers.py",
    "api/urls.py",
    "api/views.py",
    "migrations/__init__.py",
    "tests/__init__.py",
    "tests/test_flow.py",
    "tests/test_login_limits.py",
    "tests/test_services.py",
}
WELCOMING = {
    "alone": DomainSpec("orders", welcome=True),
    "beside-the-event-example": DomainSpec("notifications", event_publisher="orders", welcome=True),
    "publisher-after-accounts": DomainSpec("alerts", event_publisher="zones", welcome=True),
}


def files_of(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def ruff(project: Path, *command: str) -> subprocess.CompletedProcess[str]:
    ruff_config(project / "ruff.toml")
    return subprocess.run(
        [RUFF, *command, "--no-cache", "apps"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_render_accounts_writes_the_whole_domain(tmp_path: Path) -> None:
    folder = render_accounts(tmp_path, existing=["orders"])

    assert folder == tmp_path / "apps" / "accounts"
    assert files_of(folder) == ACCOUNTS_FILES
    for path in folder.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    assert 'name = "apps.accounts"' in (folder / "apps.py").read_text()


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_the_domains_keep_the_projects_ruff_rules(tmp_path: Path, command: list[str]) -> None:
    render_accounts(tmp_path)
    for spec in WELCOMING.values():
        render_domain(tmp_path, spec)

    result = ruff(tmp_path, *command)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("key", WELCOMING)
def test_a_welcoming_domain_depends_on_accounts_through_its_public_modules(
    tmp_path: Path, key: str
) -> None:
    spec = WELCOMING[key]
    folder = render_domain(tmp_path, spec)

    handlers = (folder / "handlers.py").read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(handlers))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("apps.accounts")
    }
    assert imported == {"apps.accounts.events", "apps.accounts.services"}
    assert "def on_account_verified(event: AccountVerified) -> None:" in handlers
    assert (folder / "tests" / "test_welcome.py").is_file()
    assert (folder / "tests" / "test_handlers.py").is_file() == bool(spec.event_publisher)
    uses = sorted(["accounts", *([spec.event_publisher] if spec.event_publisher else [])])
    declared = ", ".join(f'"{name}"' for name in uses) + ("," if len(uses) == 1 else "")
    assert f"depends_on: tuple[str, ...] = ({declared})" in (folder / "apps.py").read_text()


def test_without_accounts_no_domain_welcomes(tmp_path: Path) -> None:
    folder = render_domain(tmp_path, DomainSpec("notifications", event_publisher="orders"))

    assert "accounts" not in (folder / "handlers.py").read_text()
    assert not (folder / "tests" / "test_welcome.py").exists()
    assert 'depends_on: tuple[str, ...] = ("orders",)' in (folder / "apps.py").read_text()


def test_an_existing_folder_is_refused_untouched(tmp_path: Path) -> None:
    mine = tmp_path / "apps" / "accounts" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine")

    with pytest.raises(ScaffoldError, match="apps/accounts/ already exists"):
        render_accounts(tmp_path, existing=["accounts"])

    assert files_of(tmp_path) == {"apps/accounts/notes.txt"}


@pytest.mark.parametrize("existing", ["account", "headless"])
def test_a_domain_named_like_an_allauth_app_is_refused(tmp_path: Path, existing: str) -> None:
    with pytest.raises(ScaffoldError, match=f"'{existing}' is taken by allauth"):
        render_accounts(tmp_path, existing=[existing])

    assert list(tmp_path.iterdir()) == []


def test_startdomain_allauth_adds_accounts_to_a_project(tmp_path: Path) -> None:
    (tmp_path / "apps" / "orders").mkdir(parents=True)
    (tmp_path / "apps" / "orders" / "apps.py").touch()
    out, err = io.StringIO(), io.StringIO()

    with redirect_stdout(out), redirect_stderr(err):
        misnamed = run_without_django(["startdomain", "users", "--allauth"], tmp_path)
        created = run_without_django(["startdomain", "accounts", "--allauth"], tmp_path)
        again = run_without_django(["startdomain", "accounts", "--allauth"], tmp_path)

    assert (misnamed, created, again) == (2, 0, 2)
    assert out.getvalue().startswith("Created apps/accounts/")
    assert 'uv add "django-allauth[headless]' in out.getvalue()
    assert err.getvalue().splitlines() == [
        "startdomain: --allauth renders the accounts domain: name it accounts",
        "startdomain: apps/accounts/ already exists: it is left as it is.",
    ]
    assert files_of(tmp_path / "apps" / "accounts") == ACCOUNTS_FILES
    assert not (tmp_path / "apps" / "users").exists()


@pytest.mark.parametrize("page", [False, True], ids=["no-accounts-page", "accounts-page"])
def test_startdomain_allauth_names_only_pages_the_project_has(tmp_path: Path, page: bool) -> None:
    """The accounts page is rendered by Copier with the `accounts` answer: a project
    that adds the domain with startdomain alone has none to be sent to."""
    (tmp_path / "apps").mkdir()
    if page:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "accounts.md").write_text("# Accounts\n")
    out = io.StringIO()

    with redirect_stdout(out):
        assert run_without_django(["startdomain", "accounts", "--allauth"], tmp_path) == 0

    named = set(re.findall(r"\b[\w./-]+\.md\b", out.getvalue()))
    assert named == ({"docs/accounts.md"} if page else set()), out.getvalue()
    assert max(map(len, out.getvalue().splitlines())) <= 80, out.getvalue()
