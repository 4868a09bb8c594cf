"""Run by Copier after the first `copier copy` (never on update), from the new project's root.

Idempotent and safe outside a git repository: it only creates what is missing.
"""

import shutil
import subprocess
from pathlib import Path


def inside_git_work_tree() -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "true"


def main() -> None:
    if shutil.which("git") is None:
        print("git not found: run `git init` yourself; `copier update` needs a git repository.")
    elif not inside_git_work_tree():
        subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], check=True)
        print(f"Initialised a git repository in {Path.cwd()}")
    print("Next: `uv sync`, then `uv run pytest` (see README.md).")


if __name__ == "__main__":
    main()
