"""What the task scripts need to know about git, shared by them (hooks/ is on sys.path)."""

import subprocess


def inside_git_work_tree() -> bool:
    """True in a project; False in Copier's temporary render folders and outside git."""
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "true"
