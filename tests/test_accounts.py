"""The accounts answer: a project generated with the Copier CLI carries the accounts
domain (django-allauth, headless) and passes every check a team runs. Its own tests
walk sign-up, e-mail verification, login and password reset through the HTTP API, and
so does a user here, against `runserver`, reading the mails an SMTP server received.
A project generated without it, or updated to it, adds the domain with `startdomain
accounts --allauth`; an update keeps the domain and the team's edits.
"""

import email
import email.policy
import json
import re
import socket
import socketserver
import subprocess
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from tests.helpers import TEMPLATE_ROOT, production_env, project_env, run, tool
from tests.updating import (
    answers_of,
    commit_all,
    conflict_leftovers,
    copy_working_tree,
    generate,
    git,
    release,
    tree_snapshot,
    update,
)

pytestmark = pytest.mark.project

CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy", "."],
    ["deptry", "."],
    ["python", "manage.py", "check", "--fail-level", "WARNING"],
    ["python", "manage.py", "makemigrations", "--check", "--dry-run"],
    ["python", "manage.py", "check_boundaries"],
    ["python", "manage.py", "domain_map", "--check"],
]
# The domain's own tests: the HTTP flow (test_flow.py), its services and its event.
FLOW_TESTS = ["apps/accounts", "-p", "no:cacheprovider"]


def copier_copy(destination: Path, *data: str) -> Path:
    """Generate a project as a user does: the Copier CLI, then `uv sync`."""
    args = [tool("copier"), "copy", "--trust", "--defaults", "--quiet"]
    for item in data:
        args += ["--data", item]
    run([*args, str(TEMPLATE_ROOT), str(destination)], cwd=destination.parent)
    run([tool("uv"), "sync", "--quiet"], cwd=destination)
    return destination


def uv_run(project: Path, *args: str, **env: str) -> str:
    result = run([tool("uv"), "run", "--no-sync", *args], cwd=project, env=project_env(**env))
    return result.stdout + result.stderr


@pytest.fixture(
    scope="module",
    params=[
        ["accounts=true"],
        # The only domain welcomes verified accounts; no worker delivers in the request.
        ["accounts=true", "domains=[orders]", "worker=none"],
    ],
    ids=["four-domains", "one-domain"],
)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copier_copy(tmp_path_factory.mktemp("accounts") / "shop", *request.param)


@pytest.mark.parametrize("command", CHECKS, ids=lambda command: " ".join(command[-2:]))
def test_the_project_passes_every_check(project: Path, command: list[str]) -> None:
    uv_run(project, *command)


def test_its_tests_walk_the_accounts_flow(project: Path) -> None:
    uv_run(project, "pytest", "-q", "-p", "no:cacheprovider")  # every test, none failing

    flow = uv_run(project, "pytest", "-v", *FLOW_TESTS)
    assert "test_sign_up_verify_log_in_and_reset_the_password PASSED" in flow, flow


def test_the_flow_passes_on_postgresql(project: Path, postgres_database: str) -> None:
    flow = uv_run(project, "pytest", "-v", *FLOW_TESTS, DATABASE_URL=postgres_database)

    assert "test_sign_up_verify_log_in_and_reset_the_password PASSED" in flow, flow


def test_a_deployment_must_say_where_the_mails_link(project: Path) -> None:
    deploy = ["uv", "run", "--no-sync", "python", "manage.py", "check", "--deploy"]
    deploy += ["--fail-level", "WARNING"]

    unset = run(deploy, cwd=project, env=production_env(), check=False)
    set_ = run(
        deploy, cwd=project, env=production_env(ACCOUNTS_FRONTEND_URL="https://shop.example.com")
    )

    assert unset.returncode != 0
    assert "accounts.W001" in unset.stderr + unset.stdout
    assert "accounts.W001" not in set_.stderr + set_.stdout


def test_the_ci_deployment_check_passes(project: Path) -> None:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    (deploy,) = [step for step in steps if "check --deploy" in step.get("run", "")]

    run(["bash", "-c", deploy["run"]], cwd=project, env=project_env(**deploy["env"]))


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("accounts", "your domains already list accounts"),
        ("headless", "'headless' is taken by allauth"),
    ],
)
def test_the_answer_is_refused_beside_a_clashing_domain(
    tmp_path: Path, domain: str, reason: str
) -> None:
    args = [tool("copier"), "copy", "--trust", "--defaults", "--quiet"]
    args += ["--data", "accounts=true", "--data", f"domains=[orders, {domain}]"]

    result = run([*args, str(TEMPLATE_ROOT), str(tmp_path / "shop")], cwd=tmp_path, check=False)

    assert result.returncode != 0
    assert reason in result.stderr
    assert not (tmp_path / "shop").exists()


def test_a_project_without_it_adds_accounts_later(tmp_path: Path) -> None:
    project = copier_copy(tmp_path / "shop")
    assert not (project / "apps" / "accounts").exists()
    assert "allauth" not in (project / "pyproject.toml").read_text()

    printed = uv_run(project, "python", "manage.py", "startdomain", "accounts", "--allauth")
    # The steps it prints, as a team follows them.
    assert 'uv add "django-allauth[headless]' in printed, printed
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"axes.*"]', '"axes.*", "allauth.*"]', 1))
    added = re.search(r'uv add "([^"]+)"', printed)
    assert added
    run([tool("uv"), "add", "--quiet", added.group(1)], cwd=project)
    uv_run(project, "python", "manage.py", "domain_map")

    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert any(name.startswith("django-allauth[headless]") for name in dependencies)
    for command in CHECKS:
        uv_run(project, *command)
    flow = uv_run(project, "pytest", "-v", *FLOW_TESTS)
    assert "test_sign_up_verify_log_in_and_reset_the_password PASSED" in flow, flow


def test_every_route_the_accounts_page_names_answers(project: Path) -> None:
    from tests.test_readme_routes import routes_named_in

    page = (project / "docs" / "accounts.md").read_text()
    # The API's prefix, named as such: each route under it is named in full.
    routes = sorted(routes_named_in(page, "accounts") - {"/api/accounts/app/v1/"})
    assert "/api/accounts/app/v1/auth/login" in routes
    script = (
        "import json, sys, django; django.setup(); from django.test import Client; "
        "client = Client(HTTP_HOST='localhost'); "
        "print(json.dumps([p for p in sys.argv[1:] if client.get(p).status_code == 404]))"
    )

    env = project_env(DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONPATH=str(project))
    command = ["uv", "run", "--no-sync", "python", "-c", script, *routes]

    answered = run([*command, "/api/accounts/no-such-page/"], cwd=project, env=env)

    # Only the page that is not there, which shows that a 404 is seen as one.
    assert answered.stdout.splitlines()[-1] == '["/api/accounts/no-such-page/"]'


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as 1.0.0, and a 1.1.0 that changes the settings accounts hooks into."""
    repo = tmp_path_factory.mktemp("template-repo")
    copy_working_tree(repo)
    git(repo, "init", "--quiet")
    release(repo, "1.0.0")
    base = repo / "template" / "config" / "settings" / "base.py.jinja"
    base.write_text(base.read_text().replace("LANGUAGE_CODE = ", "# 1.1.0\nLANGUAGE_CODE = ", 1))
    release(repo, "1.1.0")
    return repo


def test_an_update_keeps_the_accounts_domain_and_the_teams_edits(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "shop", "1.0.0", accounts=True)
    services = project / "apps" / "accounts" / "services.py"
    services.write_text(services.read_text() + "\n\ndef team_function() -> None:\n    pass\n")
    commit_all(project, "The team's change")
    before = tree_snapshot(project, "apps")

    update(project, vcs_ref="1.1.0")

    assert tree_snapshot(project, "apps") == before
    assert conflict_leftovers(project) == []
    assert answers_of(project)["accounts"] is True
    assert "# 1.1.0" in (project / "config" / "settings" / "base.py").read_text()
    assert '"django-allauth[headless]' in (project / "pyproject.toml").read_text()
    assert (project / "docs" / "accounts.md").is_file()


def test_yes_at_an_update_brings_the_dependency_and_startdomain_the_domain(
    template_repo: Path, tmp_path: Path
) -> None:
    project = generate(template_repo, tmp_path / "shop", "1.0.0")

    update(project, data={"accounts": True}, vcs_ref="1.1.0")

    # Updates never write under apps/: the scaffold renders the domain.
    assert not (project / "apps" / "accounts").exists()
    assert (project / "docs" / "accounts.md").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert any(name.startswith("django-allauth") for name in pyproject["project"]["dependencies"])
    run([tool("uv"), "sync", "--quiet"], cwd=project)
    uv_run(project, "python", "manage.py", "startdomain", "accounts", "--allauth")
    uv_run(project, "python", "manage.py", "domain_map")
    for command in CHECKS:
        uv_run(project, *command)
    flow = uv_run(project, "pytest", "-v", *FLOW_TESTS)
    assert "test_sign_up_verify_log_in_and_reset_the_password PASSED" in flow, flow


class SmtpSink(socketserver.ThreadingTCPServer):
    """An SMTP server that keeps every message it is sent, for the e-mail steps.

    Written here (twenty lines) because the template's environment has no SMTP server
    library and this machine may have no container engine for Mailpit.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.messages: list[EmailMessage] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpSink

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        data: list[bytes] | None = None
        for line in self.rfile:
            if data is not None and line != b".\r\n":
                data.append(line[1:] if line.startswith(b"..") else line)
                continue
            if data is not None:
                message = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                self.server.messages.append(message)
                data = None
            elif line[:4].upper() == b"DATA":
                data = []
                self.wfile.write(b"354 end with .\r\n")
                continue
            elif line[:4].upper() == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    yield sink
    sink.shutdown()
    sink.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(project: Path, smtp: SmtpSink, tmp_path: Path) -> Iterator[str]:
    """`manage.py runserver` with the local settings, its mail going to the SMTP sink
    as docs/email.md says: EMAIL_URL names the server."""
    env = project_env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    uv = ["uv", "run", "--no-sync", "python", "manage.py"]
    run([*uv, "migrate", "--verbosity", "0"], cwd=project, env=env)
    port = free_port()
    process = subprocess.Popen(
        [*uv, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and call("GET", f"{base}/health/")[0] != 200:
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def call(
    method: str, url: str, data: dict[str, str] | None = None, token: str = ""
) -> tuple[int, dict[str, Any]]:
    """One JSON request; the status and the decoded body, whatever the status."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except OSError:
        return 0, {}


def key_in_mail(smtp: SmtpSink, link: str) -> str:
    """The key of the newest mail that holds a link of this kind, as the app reads it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed(smtp.messages):
            body = message.get_body(preferencelist=("plain",))
            found = re.search(rf"/{link}/(\S+)", body.get_content() if body else "")
            if found:
                return unquote(found.group(1))
        time.sleep(0.1)
    raise AssertionError(f"no mail with a {link} link: {smtp.messages}")


def test_a_new_user_signs_up_and_resets_the_password_over_http(
    project: Path, server: str, smtp: SmtpSink
) -> None:
    auth = f"{server}/api/accounts/app/v1/auth"
    first_domain = answers_of(project)["domains"][0]
    credentials = {"email": "ada@example.com", "password": "analytical-engine-1843"}

    status, signed_up = call("POST", f"{auth}/signup", credentials)
    assert status == 401, signed_up
    pending = signed_up["meta"]["session_token"]
    status, verified = call(
        "POST", f"{auth}/email/verify", {"key": key_in_mail(smtp, "account/verify-email")}, pending
    )
    assert status == 200, verified

    status, logged_in = call("POST", f"{auth}/login", credentials)
    assert status == 200, logged_in
    token = logged_in["meta"]["session_token"]
    # The session token opens the rest of the project's API, any domain's.
    assert call("GET", f"{server}/api/accounts/me/", token=token)[1]["email_verified"] is True
    assert call("GET", f"{server}/api/{first_domain}/", token=token)[0] == 200
    assert call("GET", f"{server}/api/{first_domain}/")[0] == 401

    status, _ = call("POST", f"{auth}/password/request", {"email": credentials["email"]})
    assert status == 200
    new = {"key": key_in_mail(smtp, "account/password/reset"), "password": "difference-2-engine"}
    assert call("POST", f"{auth}/password/reset", new)[0] in {200, 401}
    assert call("POST", f"{auth}/login", credentials)[0] == 400
    assert call("POST", f"{auth}/login", {**credentials, "password": new["password"]})[0] == 200
    if answers_of(project)["worker"] == "none":
        # The welcoming domain's durable handler runs in the web process after commit;
        # a worker would deliver it elsewhere.
        assert "Welcome" in [message["Subject"] for message in smtp.messages]
