"""The domain scaffold (modulith.scaffold): each spec renders exactly its files, as
Python that parses and keeps the generated project's ruff rules; a refused name or an
existing folder leaves everything untouched."""

import ast
import io
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from modulith.commands import run_without_django
from modulith.scaffold import (
    EVENT_EXAMPLE,
    TASK_EXAMPLE,
    WELCOME_EXAMPLE,
    DomainSpec,
    ScaffoldError,
    render_domain,
)
from modulith.scaffold.names import MAX_LENGTH
from tests.package.lint import RUFF, ruff_config

ALWAYS = {
    "__init__.py",
    "admin.py",
    "apps.py",
    "events.py",
    "models.py",
    "services.py",
    "api/__init__.py",
    "api/serializers.py",
    "api/urls.py",
    "api/views.py",
    "migrations/__init__.py",
    "migrations/0001_initial.py",
    "tests/__init__.py",
    "tests/factories.py",
    "tests/test_api.py",
    "tests/test_services.py",
}
LETTERS = "abcdefghijklmnopqrtuvwxyz"  # no s: a model as long as its name
SPECS = {
    "plain": DomainSpec("orders"),
    "tasks-django-q2": DomainSpec("order_lines", worker="django-q2", task_example=True),
    "tasks-celery": DomainSpec("inventory", worker="celery", task_example=True),
    "tasks-without-worker": DomainSpec("payments", worker="none", task_example=True),
    "events": DomainSpec("notifications", event_publisher="orders"),
    "everything-long": DomainSpec(
        "customer_support_tickets",
        worker="django-q2",
        task_example=True,
        event_publisher="warehouse_stock_movement",
    ),
    # A model named like the event it handles: OrderCreated for both.
    "same-names": DomainSpec("order_createds", event_publisher="orders"),
    # A config class that would be named AppConfig.
    "app": DomainSpec("app", event_publisher="orders"),
    # A model named like the accounts domain's event its handler imports.
    "welcome-same-names": DomainSpec("account_verifieds", event_publisher="orders", welcome=True),
    # The longest names, with a model longer still: a singular can be (mice, mouse).
    "longest": DomainSpec(
        "abcdefghijklmnopqrstmice",
        worker="django-q2",
        task_example=True,
        event_publisher="abcdefghijklmnopcriteria",
        welcome=True,
    ),
    # The longest models used through their module: one pytest would collect, and one
    # named like the event it handles.
    "longest-test-model": DomainSpec(
        "testabcdefghijklmnopmice",
        worker="celery",
        task_example=True,
        event_publisher="abcdefghijklmnopcriteria",
    ),
    "longest-event-model": DomainSpec(
        "abcdefghijklmno_createds", event_publisher="abcdefghijklmno", welcome=True
    ),
    # Each length around the ones where a line reaches 100 characters, with a model as
    # long as the name or one longer.
    **{
        f"length-{length}{ending}": DomainSpec(
            LETTERS[: length - len(ending)] + ending,
            worker="celery",
            task_example=True,
            event_publisher=LETTERS[-length:],
        )
        for length in range(12, MAX_LENGTH + 1)
        for ending in ("", "mice")
    },
}


def files_of(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every spec rendered once, each in a project of its own."""
    folders = {}
    for key, spec in SPECS.items():
        root = tmp_path_factory.mktemp(key)
        folders[key] = render_domain(root, spec)
    return folders


@pytest.mark.parametrize("key", SPECS)
def test_each_spec_gets_exactly_its_files(rendered: dict[str, Path], key: str) -> None:
    spec = SPECS[key]
    expected = set(ALWAYS)
    if spec.task_example and spec.worker != "none":
        expected |= TASK_EXAMPLE
    if spec.event_publisher:
        expected |= EVENT_EXAMPLE
    if spec.welcome:
        expected |= WELCOME_EXAMPLE

    assert files_of(rendered[key]) == expected
    assert rendered[key] == rendered[key].parent.parent / "apps" / spec.name


@pytest.mark.parametrize("key", SPECS)
def test_every_file_parses_and_names_the_domain(rendered: dict[str, Path], key: str) -> None:
    spec = SPECS[key]
    for path in rendered[key].rglob("*.py"):
        source = path.read_text()
        ast.parse(source, filename=str(path))
        assert "{{" not in source, path
        assert "{%" not in source, path

    apps_py = (rendered[key] / "apps.py").read_text()
    assert f'name = "apps.{spec.name}"' in apps_py
    uses = (["accounts"] if spec.welcome else []) + [spec.event_publisher or ""]
    if spec.event_publisher:
        listed = ", ".join(f'"{name}"' for name in uses) + ("," if len(uses) == 1 else "")
        assert f"depends_on: tuple[str, ...] = ({listed})" in apps_py


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_the_rendered_domains_keep_the_projects_ruff_rules(
    rendered: dict[str, Path], command: list[str]
) -> None:
    failures = []
    for key, folder in rendered.items():
        project = folder.parent.parent
        ruff_config(project / "ruff.toml")

        result = subprocess.run(
            [RUFF, *command, "--no-cache", "apps"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )

        if result.returncode:
            failures.append(f"{key}:\n{result.stdout}{result.stderr}")
    assert not failures, "\n".join(failures)


def test_an_existing_folder_is_refused_untouched(tmp_path: Path) -> None:
    existing = tmp_path / "apps" / "orders"
    existing.mkdir(parents=True)
    (existing / "notes.txt").write_text("mine")

    with pytest.raises(ScaffoldError, match="apps/orders/ already exists"):
        render_domain(tmp_path, DomainSpec("orders"))

    assert files_of(tmp_path) == {"apps/orders/notes.txt"}


@pytest.mark.parametrize(
    ("spec", "existing", "message"),
    [
        (DomainSpec("Orders"), [], "'Orders': use a-z, 0-9, _"),
        (DomainSpec("core"), [], "'core': a reserved name"),
        (DomainSpec("boxes"), ["box"], "'boxes': same model as 'box'"),
        (DomainSpec("orders", worker="rq"), [], "unknown worker 'rq'"),
    ],
)
def test_a_refused_spec_writes_nothing(
    tmp_path: Path, spec: DomainSpec, existing: list[str], message: str
) -> None:
    with pytest.raises(ScaffoldError, match=message):
        render_domain(tmp_path, spec, existing=existing)

    assert list(tmp_path.iterdir()) == []


def test_startdomain_renders_beside_the_existing_domains(tmp_path: Path) -> None:
    (tmp_path / "apps" / "box").mkdir(parents=True)
    (tmp_path / "apps" / "box" / "apps.py").touch()
    out, err = io.StringIO(), io.StringIO()

    with redirect_stdout(out), redirect_stderr(err):
        created = run_without_django(["startdomain", "shipping", "--worker", "none"], tmp_path)
        refused = run_without_django(["startdomain", "boxes", "--worker", "none"], tmp_path)

    assert (created, refused) == (0, 2)
    assert out.getvalue().startswith("Created apps/shipping/.")
    assert err.getvalue() == "startdomain: 'boxes': same model as 'box'\n"
    assert (tmp_path / "apps" / "shipping" / "apps.py").is_file()
    assert not (tmp_path / "apps" / "boxes").exists()


def test_startdomain_says_why_in_whole_lines_of_80_columns(tmp_path: Path) -> None:
    """The command line is no prompt: a refusal names the whole name once, an existing
    domain is refused as existing, and nothing it prints is wider than a terminal."""
    (tmp_path / "apps" / "orders").mkdir(parents=True)
    (tmp_path / "apps" / "orders" / "apps.py").touch()
    long_name = "a_very_long_domain_name_over_24"
    out, err = io.StringIO(), io.StringIO()

    with redirect_stdout(out), redirect_stderr(err):
        codes = [
            run_without_django(["startdomain", name, "--worker", "none"], tmp_path)
            for name in ("orders", long_name, "..", "order_shipping_decisions")
        ]

    assert codes == [2, 2, 2, 0]
    assert err.getvalue().splitlines() == [
        "startdomain: apps/orders/ already exists: it is left as it is.",
        f"startdomain: '{long_name}': over 24 characters",
        "startdomain: '..': use a-z, 0-9, _",
    ]
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("Created apps/order_shipping_decisions/.")
    assert max(map(len, printed + err.getvalue().splitlines())) <= 80, printed
