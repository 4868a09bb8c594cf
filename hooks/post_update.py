"""Run by Copier after `copier update`, in the project.

uv.lock belongs to the team (Copier never overwrites it), so when the template changes
pyproject.toml the lock must follow: `uv lock` keeps every existing pin it can and
adds what the template now needs. Copier also runs tasks in its temporary render
folders, which are not git repositories yet: this does nothing there.
"""

import shutil
import subprocess
from pathlib import Path

from git_repository import inside_git_work_tree


def main() -> None:
    if not inside_git_work_tree() or not Path("uv.lock").exists():
        return
    if shutil.which("uv") is None:
        print("uv not found: run `uv lock` so uv.lock matches the updated pyproject.toml.")
        return
    result = subprocess.run(["uv", "lock", "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"`uv lock` failed; run it yourself before committing:\n{result.stderr}")


if __name__ == "__main__":
    main()
