"""Deep tier: generated projects are installed with uv and their real commands run.

Each command runs on SQLite and on the PostgreSQL server of this machine (skipped,
with the reason, where none answers).
"""

import ast
import builtins
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from copier import run_copy

from modulith.scaffold.names import model_name
from tests.conftest import Render
from tests.helpers import (
    TEMPLATE_ROOT,
    TWELVE_DOMAINS,
    Terminal,
    find_python,
    newcomer_env,
    production_env,
    project_env,
    question_help,
    run,
    tool,
    writable_copy,
)

pytestmark = pytest.mark.project


def section(readme: str, heading: str) -> str:
    """A README's section: from its heading to the next heading outside code blocks."""
    lines, in_code = readme.split(f"## {heading}\n", 1)[1].splitlines(keepends=True), False
    for number, line in enumerate(lines):
        in_code ^= line.startswith("```")
        if not in_code and line.startswith("#"):
            return "".join(lines[:number])
    return "".join(lines)


def readme_commands(readme: str, heading: str | None = None) -> list[str]:
    """The shell commands of every bash block in a README (or in one of its sections),
    continuation lines joined, comments dropped."""
    if heading is not None:
        readme = section(readme, heading)
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert blocks, f"no bash block under '{heading}'"
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    commands = [line.split("  #")[0].strip() for line in lines if not line.startswith("#")]
    return [re.sub(r" {2,}", " ", command) for command in commands if command]


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of this repository as it stands, committed or not."""
    clone = tmp_path_factory.mktemp("newcomer") / "django-modular-monolith"
    files = run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=TEMPLATE_ROOT).stdout
    for name in filter(None, files.split("\0")):
        if (TEMPLATE_ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE_ROOT / name, clone / name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Clone"]):
        run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=clone)
    return clone


def test_template_readme_tests_are_what_ci_runs() -> None:
    _, run_tests = readme_commands((TEMPLATE_ROOT / "README.md").read_text(), "Two commands")
    assert (TEMPLATE_ROOT / ".ci/run").read_text().splitlines()[-1] == run_tests


@pytest.fixture(scope="session")
def shop(template_clone: Path) -> Path:
    """A project generated exactly as the template README tells a newcomer to, from a
    clone, in a terminal, pressing Enter at every question it asks."""
    generate, _ = readme_commands((TEMPLATE_ROOT / "README.md").read_text(), "Two commands")
    domains = re.search(r"domains=\[(.*?)\]", generate).group(1).split(", ")
    with Terminal(["bash", "-c", generate], cwd=template_clone, env=newcomer_env()) as terminal:
        for rows in question_help(domains, answered=["domains"]).values():
            terminal.wait_for(*rows, timeout=180)
            terminal.type("\r")
        assert terminal.finish(timeout=300) == 0, "\n".join(terminal.rows())
    project = template_clone.parent / "my-shop"
    assert sorted(p.name for p in (project / "apps").iterdir() if p.is_dir()) == sorted(domains)
    return project


# Commands of the generated README that another test runs, and why not this one.
COVERED_ELSEWHERE = {
    "docker compose up --build": "tests/test_containers.py runs the stack as containers",
    "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 docker compose --profile "
    "observability up --build": "its images come from a registry "
    "this machine cannot reach: tests/test_observability.py checks the profile with "
    "Compose's own parser",
    "uv run python manage.py extraction_report orders --telemetry telemetry/traces.jsonl": (
        "reads what that profile's collector writes: tests/package/test_extraction.py reads "
        "such a file"
    ),
}
# Programs that serve until stopped, by a word of their command line, and the line
# each prints once it serves: such commands are started, checked, then stopped.
SERVERS = {
    "runserver": "Quit the server with CONTROL-C",
    "qcluster": "ready for work",
    "worker": "ready.",  # celery -A config worker
}


def server_ready_line(command: str) -> str | None:
    """The line a serving command prints once ready, or None for a command that ends."""
    words = shlex.split(command)
    return next((ready for word, ready in SERVERS.items() if word in words), None)


def start_and_stop(command: str, ready: str, cwd: Path, env: dict[str, str]) -> str:
    """Run a command that serves until stopped; return its output once `ready` shows."""
    process = subprocess.Popen(
        ["bash", "-ec", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    try:
        lines: queue.Queue[str] = queue.Queue()

        def read_output() -> None:  # a thread, so a silent server cannot block the test
            for line in process.stdout:
                lines.put(line)

        threading.Thread(target=read_output, daemon=True).start()
        deadline = time.monotonic() + 90
        while ready not in "".join(output) and (left := deadline - time.monotonic()) > 0:
            try:
                output.append(lines.get(timeout=left))
            except queue.Empty:
                break
            if process.poll() is not None and lines.empty():
                break
        assert ready in "".join(output), f"`{command}` never got ready:\n{''.join(output)}"
        if "runserver" in command:
            with urllib.request.urlopen("http://127.0.0.1:8000/health/", timeout=10) as answer:
                assert answer.status == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return "".join(output)


def create_superuser(command: str, cwd: Path, env: dict[str, str]) -> str:
    """Answer the prompts of `createsuperuser` as a person would."""
    child = pexpect.spawn("bash", ["-ec", command], cwd=str(cwd), env=env, encoding="utf-8")
    for prompt, answer in [
        ("Username", "admin"),
        ("Email address", "admin@example.com"),
        ("Password", "a-long-passphrase-9"),
        ("Password \\(again\\)", "a-long-passphrase-9"),
    ]:
        child.expect(prompt, timeout=60)
        child.sendline(answer)
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


# Generated docs pages whose commands another test runs, and why not this one.
PAGES_COVERED_ELSEWHERE = {
    "docs/updates.md": "updates, conflicts and new domains: tests/test_update.py runs them "
    "on a scratch release, tests/test_update_history.py on this repository's releases",
}


def documented_commands(project: Path) -> list[str]:
    """The commands a team runs from its README (up to "Updating from the template",
    which docs/updates.md carries on) and then from each page under docs/ the README
    links to, in the README's order; each once."""
    readme = (project / "README.md").read_text()
    pages = dict.fromkeys(re.findall(r"\]\((docs/[\w./-]+\.md)\)", readme))
    on_disk = {p.relative_to(project).as_posix() for p in (project / "docs").rglob("*.md")}
    assert sorted(pages) == sorted(on_disk), "the README links every docs page"
    texts = [readme.split("## Updating from the template")[0]] + [
        (project / page).read_text() for page in pages if page not in PAGES_COVERED_ELSEWHERE
    ]
    commands = [c for text in texts if "```bash" in text for c in readme_commands(text)]
    return list(dict.fromkeys(commands))


def test_generated_readme_commands_all_succeed(
    shop: Path, postgres_admin: str, tmp_path: Path
) -> None:
    """Every command the generated README and its docs pages show, in order, as written
    (but those of docs/updates.md, which tests/test_update.py runs).

    In a copy of the project, git history included: the commands change it (its `.env`
    gains the observability profile's collector, which no other test has, and whose
    export retries would add seconds to every command), and `installed_project` checks
    the project as generated."""
    shop = shutil.copytree(
        shop, tmp_path / shop.name, symlinks=True, ignore=shutil.ignore_patterns(".venv")
    )
    commands = documented_commands(shop)
    assert any("check --deploy" in c for c in commands), "docs/operations.md's check"
    env = project_env()
    # A team commits what it generated first: `make test-affected` compares with main,
    identity = ["-c", "user.name=Newcomer", "-c", "user.email=newcomer@example.com"]
    run(["git", "add", "--all"], cwd=shop, env=env)
    commit = ["git", *identity, "commit", "--quiet", "--no-verify", "-m", "Generated"]
    run(commit, cwd=shop, env=env)
    # ... and works in a clone of the team's repository, which has origin/main.
    run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=shop, env=env)
    outputs = []
    for command in commands:
        if command in COVERED_ELSEWHERE:
            continue
        if ready := server_ready_line(command):
            outputs.append(start_and_stop(command, ready, shop, env))
        elif "createsuperuser" in shlex.split(command):
            outputs.append(create_superuser(command, shop, env))
        else:  # a command that never ends fails here, not at the suite's time limit
            outputs.append(run(["bash", "-ec", command], cwd=shop, env=env, timeout=300).stdout)

    report = "\n".join(outputs)
    runs = re.findall(r"\b\d+ passed\b", report)
    assert len(runs) == 3, "tests on SQLite, PostgreSQL, and PostgreSQL rehearsing a domain"
    assert "Domain boundaries: all rules kept." in report
    assert "Superuser created successfully." in report
    assert "System check identified no issues" in report, "check --deploy"


def test_the_first_worker_run_on_sqlite_logs_no_locked_database(
    render: Render, install: Callable[[Path], Path], tmp_path: Path
) -> None:
    """The generated README's first worker steps on the default SQLite: migrate, start
    the worker as the README shows, then have the web side write while it delivers.
    The web process and the worker share one SQLite file; neither may fail on its lock."""
    installed = install(render({"domains": ["orders", "inventory"]}))
    project = writable_copy(installed, tmp_path / "project")
    readme = (project / "README.md").read_text()
    (worker,) = [c for c in readme_commands(readme) if "resubmit_events --reclaim" in c]
    # The copy shares the installed project's environment: `uv run X` is X on its PATH.
    env = project_env(PATH=f"{installed / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's default: local, on SQLite
    as_run = [c.replace("uv run ", "") for c in ["uv run python manage.py migrate", worker]]
    run(["bash", "-ec", as_run[0]], cwd=project, env=env)
    assert (project / "db.sqlite3").exists(), "the default database is SQLite"

    process = subprocess.Popen(
        ["bash", "-ec", as_run[1]], cwd=project, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    shell = ["python", "manage.py", "shell", "-c"]
    try:
        code = "from apps.orders import services\nservices.import_in_background(['a{n}', 'b{n}'])\n"
        code += "for i in range(5): services.create_order(name=f'o{n}-{{i}}')"
        writes = [  # the web side, writing while the worker sweeps and delivers
            subprocess.Popen(
                [*shell, code.format(n=n)],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for n in range(3)
        ]
        web = [write.communicate(timeout=120)[0] for write in writes]
        assert [write.returncode for write in writes] == [0, 0, 0], web
        count = "from apps.inventory.models import Inventory as I; print(I.objects.count())"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # each order's durable reaction, delivered
            done = run([*shell, count], cwd=project, env=env).stdout.split()[-1]
            if int(done) >= 15:
                break
            time.sleep(1)
        assert int(done) >= 15, "".join(output)
        orders = "from apps.orders.models import Order; print(Order.objects.count())"
        assert run([*shell, orders], cwd=project, env=env).stdout.split()[-1] == "21"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    logs = "".join(output) + "".join(web)
    assert "database is locked" not in logs, logs
    assert "Traceback" not in logs, logs


@pytest.fixture(scope="session")
def twelve_domains(render: Render, install: Callable[[Path], Path]) -> Path:
    return install(render({"domains": TWELVE_DOMAINS}))


@pytest.fixture(scope="session", params=["shop", "twelve_domains"])
def installed_project(request: pytest.FixtureRequest, install: Callable[[Path], Path]) -> Path:
    return install(request.getfixturevalue(request.param))


def manage(project: Path, env: dict[str, str], *args: str) -> str:
    return run(["uv", "run", "python", "manage.py", *args], cwd=project, env=env).stdout


def test_system_check_passes(installed_project: Path, database_env: dict[str, str]) -> None:
    output = manage(installed_project, database_env, "check", "--fail-level", "WARNING")
    assert "no issues" in output


def test_models_and_migrations_agree(installed_project: Path, database_env: dict[str, str]) -> None:
    output = manage(installed_project, database_env, "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in output


def test_migrate_creates_every_domain_table(
    installed_project: Path, database_env: dict[str, str]
) -> None:
    manage(installed_project, database_env, "migrate", "--no-input")
    applied = manage(installed_project, database_env, "showmigrations", "--plan")

    domains = sorted(p.name for p in (installed_project / "apps").iterdir() if p.is_dir())
    for domain in [*domains, "core"]:
        assert f"[X]  {domain}.0001_initial" in applied
    assert "[ ]" not in applied


def test_project_test_suite_passes(twelve_domains: Path, database_env: dict[str, str]) -> None:
    """Twelve domains' tests; the default project's run on both databases in the README
    commands test (`shop`)."""
    result = run(
        ["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=twelve_domains, env=database_env
    )
    domains = [p for p in (twelve_domains / "apps").iterdir() if p.is_dir()]
    passed = int(re.search(r"(\d+) passed", result.stdout).group(1))

    assert passed >= 5 * len(domains), "every domain's service and API tests must run"
    assert "failed" not in result.stdout


def test_the_templates_own_tests_hold_in_the_teams_time_zone(
    twelve_domains: Path, tmp_path: Path
) -> None:
    """A team sets TIME_ZONE to its own: the tests the template ships still pass."""
    project = writable_copy(twelve_domains, tmp_path / "project")
    settings = project / "config" / "settings" / "base.py"
    assert 'TIME_ZONE = "UTC"' in settings.read_text()
    settings.write_text(settings.read_text().replace('"UTC"', '"Europe/Paris"', 1))
    env = project_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    run([str(project / ".venv" / "bin" / "pytest"), "-p", "no:cacheprovider", "-q"],
        cwd=project, env=env)  # fmt: skip


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_project_runs_on_the_image_pythons(render: Render, tmp_path: Path, version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed on this machine")
    project = render({"python_version": version})
    env = project_env(
        UV_PROJECT_ENVIRONMENT=str(tmp_path / f"venv-{version}"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    run([tool("uv"), "sync", "--python", python], cwd=project, env=env)
    result = run(["uv", "run", "pytest", "-p", "no:cacheprovider"], cwd=project, env=env)
    version_used = run(["uv", "run", "python", "--version"], cwd=project, env=env).stdout

    assert version_used.startswith(f"Python {version}")
    assert "failed" not in result.stdout


# Names a newcomer may well choose that are also names the generated code uses: modules
# it imports, classes it imports (the models of `requests`, `responses`, `any`, and of
# `account_verifieds` and `users`, which the accounts variant's welcome imports, ...),
# builtins it uses, routes, Django's own packages. The first domain publishes the
# events example and has the example task; the last one handles the event.
AWKWARD_DOMAINS = [
    "pytest",
    "transaction",
    "requests",
    "responses",
    "schema",
    "docs",
    "status",
    "models",
    "services",
    "migrations",
    "any",
    "lookup_errors",
    "time_stamped_models",
    "domain_events",
    "app",
    "app_configs",
    "media",
    "account_verifieds",
    "users",
    "runtime_errors",
]
# The same roles for names pytest would collect (Test...) and a handler's model named
# like the event it handles (TestRunCreated).
AWKWARD_ROLES = ["test_runs", "test_run_createds"]
# Every check the project's CI runs on its code, as the project's Makefile names them.
CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy", "."],
    ["python", "manage.py", "check_boundaries"],
    ["python", "manage.py", "makemigrations", "--check", "--dry-run"],
    ["pytest", "-p", "no:cacheprovider", "-q"],
]


def test_awkward_names_cover_every_class_name_the_domain_code_uses(render: Render) -> None:
    """Keeps AWKWARD_DOMAINS complete: each class or builtin name the generated domain
    modules import or use, and that a model could be named, is some domain's model."""
    # The accounts variant's domains import its event and services too (the welcome).
    variants = [render({}), render({"accounts": True})]
    awkward = render({"domains": AWKWARD_DOMAINS})
    own = tuple(name for variant in variants for name in model_classes(variant))
    paths = [
        path
        for variant in variants
        for path in variant.glob("apps/**/*.py")
        if not path.relative_to(variant).is_relative_to("apps/accounts")
    ]
    used: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                used |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Name) and node.id in vars(builtins):
                used.add(node.id)
    # A model's name is the CamelCase singular of its domain's name: only names that
    # rule can produce (not `DjangoAssertNumQueries`, say) could collide with one.
    model_like = {
        name
        for name in used
        if re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", name)
        and model_name(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()) == name
    }

    assert sorted(n for n in model_like - model_classes(awkward) if not n.startswith(own)) == []


def model_classes(project: Path) -> set[str]:
    return {
        name
        for path in project.glob("apps/*/models.py")
        for name in re.findall(r"^class (\w+)\(", path.read_text(), re.MULTILINE)
    }


@pytest.fixture(scope="session")
def awkward(render: Render, install: Callable[[Path], Path]) -> Path:
    return install(render({"domains": AWKWARD_DOMAINS}))


def test_awkward_domain_names_generate_a_project_whose_checks_pass(awkward: Path) -> None:
    for check in CHECKS:
        run(["uv", "run", *check], cwd=awkward)
    deploy = ["uv", "run", "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    run(deploy, cwd=awkward, env=production_env())

    domain_files = [f"apps/{domain}/models.py" for domain in AWKWARD_DOMAINS]
    ignored = run(["git", "check-ignore", *domain_files], cwd=awkward, check=False).stdout
    assert ignored == "", "git must not ignore any domain's files"


def test_awkward_names_in_the_roles_of_the_events_example_pass(
    awkward: Path, tmp_path: Path
) -> None:
    """What these roles can break, ruff (a redefined name) and the project's tests
    (pytest's collection, the handler at work) catch; `awkward` runs every check on the
    same modules in the other roles. Run with the environment of `awkward`, which has
    the same dependencies."""
    project = tmp_path / "roles"
    data = {"domains": AWKWARD_ROLES}
    # With its task, which renders the domains.
    run_copy(str(TEMPLATE_ROOT), project, data=data, defaults=True, unsafe=True)
    bin_dir = awkward / ".venv" / "bin"
    for tool_name, *args in [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["pytest", "-p", "no:cacheprovider", "-q"],
    ]:
        run([str(bin_dir / tool_name), *args], cwd=project)
