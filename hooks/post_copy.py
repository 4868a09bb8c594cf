"""Run by Copier after the first `copier copy` (never on update), in the new project.

Each step is idempotent, works outside a git repository, and only creates what is
missing, so running it twice changes nothing.
"""

import re
import secrets
import shutil
import subprocess
from pathlib import Path

from git_repository import inside_git_work_tree


def init_git() -> None:
    """`copier update` needs a git repository to compare against."""
    if shutil.which("git") is None:
        print("git not found: run `git init` yourself; `copier update` needs a repository.")
    elif not inside_git_work_tree():
        subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], check=True)
        print("Initialised a git repository.")


def create_env_file() -> None:
    """`.env` from `.env.example`, with a random secret key instead of the placeholder."""
    env_file, example = Path(".env"), Path(".env.example")
    if env_file.exists() or not example.exists():
        return
    key = secrets.token_urlsafe(50)
    text = re.sub(r"(?m)^DJANGO_SECRET_KEY=.*$", f"DJANGO_SECRET_KEY={key}", example.read_text())
    env_file.write_text(text)
    print("Created .env with a random DJANGO_SECRET_KEY (git ignores it).")


def lock_dependencies() -> None:
    """uv.lock, which CI (`uv sync --locked`) and the Dockerfile install from."""
    if Path("uv.lock").exists():
        return
    if shutil.which("uv") is None:
        print("uv not found: run `uv lock` and commit uv.lock before CI or `docker build`.")
        return
    result = subprocess.run(["uv", "lock", "--quiet"], capture_output=True, text=True)
    if result.returncode == 0:
        print("Locked dependencies in uv.lock.")
    else:
        print(f"`uv lock` failed; run it again later:\n{result.stderr}")


def main() -> None:
    init_git()
    create_env_file()
    lock_dependencies()
    print("Next: `uv sync`, then `uv run pytest` (see README.md).")


if __name__ == "__main__":
    main()
