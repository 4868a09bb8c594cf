"""Run a `before`-stage release migration as the read-only check it must be.

    read_only_check.py SCRIPT [ARG ...]      (run with the template's Python)

Copier runs `when: before` migrations in the project before the update, then renders
the new version over the project and replays the team's changes from git: whatever a
`before` script wrote is lost, Copier still exits 0, and the script never runs again
(the next update starts from the new version). So each stage has one job:

- `before`: read-only checks. A check may refuse the update (exit non-zero, with the
  reason on stderr): Copier stops, and nothing is rendered.
- `after` (the default): rewrites of the team's files, which stay in the working tree
  for review, with the rest of the update.

This wrapper runs SCRIPT with the template's Python and the arguments given, in the
project. If SCRIPT changed, added or deleted any file git does not ignore, the wrapper
puts every such file back as it was, says which on stderr, and exits 1, so the update
stops with the project as it was and the mistake shows in the template's tests. It
exits with SCRIPT's own code otherwise. Every `when: before` entry of copier.yml's
`_migrations` runs through it (tests/test_update_stages.py checks that).
"""

import subprocess
import sys
from pathlib import Path


def project_files() -> dict[str, bytes | None]:
    """Each file git tracks or would add, and its bytes (None: deleted, not committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."],
        capture_output=True,
        check=True,
    ).stdout
    files: dict[str, bytes | None] = {}
    for name in filter(None, listed.decode().split("\0")):
        path = Path(name)
        files[name] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return files


def put_back(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> list[str]:
    """Undo every change between the two states; return the paths changed."""
    changed = sorted(name for name in before.keys() | after.keys()
                     if before.get(name) != after.get(name))  # fmt: skip
    for name in changed:
        path, content = Path(name), before.get(name)
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    return changed


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: read_only_check.py SCRIPT [ARG ...]", file=sys.stderr)
        return 2
    script = sys.argv[1]
    before = project_files()
    code = subprocess.run([sys.executable, *sys.argv[1:]], check=False).returncode
    changed = put_back(before, project_files())
    if changed:
        print(
            f"\n{script}: a `before`-stage migration changed the project; Copier would "
            "discard its changes after the update and never run it again, so they were "
            "undone and the update stopped. Rewrites belong in the `after` stage. "
            "Changed:\n" + "\n".join(f"  - {name}" for name in changed),
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
