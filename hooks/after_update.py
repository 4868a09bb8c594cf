"""Run by Copier after every `copier update`, in the project, once the team's changes
are replayed (an unversioned `_migrations` entry; `_tasks` would run before the replay).

    after_update.py TEMPLATE_CLONE

Copier itself exits 0 after an update that left conflicts, dropped the team's edits to
a file the template removed, or rendered a domain over a folder the team made. This
script makes each of those visible, and keeps uv.lock in step with the team's
pyproject.toml:

1. Domains stay the team's: nothing under an existing `apps/<domain>/` may change
   (Copier excludes recorded domains; this reverts anything else, such as a new name
   rendered over a folder the team made by hand, and says so).
2. A file the new version (or a changed answer) removes is deleted only if the team
   never edited it; an edited one is put back and reported.
3. `uv lock` re-locks the team's pyproject.toml, keeping every pin it can.
4. Conflict markers and `.rej` files are listed.

It exits 1, after listing them, when anything needs the team; Copier then exits
non-zero too. Nothing is undone: the update stays in the working tree for review.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from copier import run_copy

ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_MARKER = re.compile(rb"^(<{7}|>{7})( |$)", re.MULTILINE)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def paths(output: str) -> list[str]:
    return [path for path in output.split("\0") if path]


def changed_paths() -> list[str]:
    """Every path the update touched: modified or deleted, and new untracked files."""
    tracked = paths(git("diff", "--name-only", "-z", "HEAD"))
    untracked = paths(git("ls-files", "--others", "--exclude-standard", "-z"))
    return sorted({*tracked, *untracked})


def in_head(path: str) -> bool:
    probe = subprocess.run(["git", "cat-file", "-e", f"HEAD:{path}"], capture_output=True)
    return probe.returncode == 0


def restore(path: str) -> None:
    """Put `path` back as it is in HEAD; remove it if HEAD does not have it."""
    if in_head(path):
        git("checkout", "HEAD", "--", path)
    else:
        Path(path).unlink(missing_ok=True)


def remove_empty_folders(root: Path) -> None:
    """Drop the folders a revert left empty, deepest first."""
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def recorded_answers(revision: str | None) -> dict[str, object]:
    text = git("show", f"{revision}:{ANSWERS_FILE}") if revision else Path(ANSWERS_FILE).read_text()
    return yaml.safe_load(text) or {}


def keep_domains_untouched(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Revert every change under a domain folder that existed before this update."""
    existing = {
        Path(path).parts[1]
        for path in paths(git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", "apps"))
        if len(Path(path).parts) > 2
    }
    added = set(after.get("domains") or []) - set(before.get("domains") or [])
    touched: dict[str, list[str]] = {}
    for path in changed_paths():
        parts = Path(path).parts
        if len(parts) > 2 and parts[0] == "apps" and parts[1] not in added - existing:
            touched.setdefault(parts[1], []).append(path)
    for domain, paths_in_domain in touched.items():
        for path in paths_in_domain:
            restore(path)
        remove_empty_folders(Path("apps", domain))
    return [
        f"apps/{domain}/: already there before this update, so it was left as it was; "
        f"delete or rename the folder first to get the generated scaffold."
        for domain in sorted(touched)
    ]


def render_previous_version(template: str, before: dict[str, object], into: Path) -> Path:
    """The project's files as the template generated them before this update."""
    answers = {key: value for key, value in before.items() if not key.startswith("_")}
    run_copy(
        template,
        into,
        data=answers,
        vcs_ref=str(before["_commit"]),
        defaults=True,
        quiet=True,
        skip_tasks=True,
        unsafe=True,
        exclude=["apps/*/"],  # domains are the team's, handled above
    )
    return into


def keep_edited_removed_files(template: str, before: dict[str, object]) -> list[str]:
    """Put back each file the update deleted that the team had changed."""
    deleted = paths(git("diff", "--name-only", "-z", "--diff-filter=D", "HEAD"))
    if not deleted:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        previous = render_previous_version(template, before, Path(scratch) / "previous")
        edited = [
            path
            for path in deleted
            if not (previous / path).is_file()
            or (previous / path).read_bytes() != git_bytes(f"HEAD:{path}")
        ]
    for path in edited:
        restore(path)
    return [
        f"{path}: the template no longer generates this file, but it held your edits, so it "
        "was kept; move what you need where it now belongs, then delete it."
        for path in edited
    ]


def git_bytes(spec: str) -> bytes:
    return subprocess.run(["git", "show", spec], capture_output=True, check=True).stdout


def relock() -> list[str]:
    """Lock the team's pyproject.toml as it is after the update."""
    if not Path("uv.lock").is_file():
        return []
    if shutil.which("uv") is None:
        return ["uv.lock: uv not found; run `uv lock` before you commit."]
    result = subprocess.run(["uv", "lock", "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        return [f"uv.lock: `uv lock` failed; fix pyproject.toml, then run it:\n{result.stderr}"]
    return []


def conflicts() -> list[str]:
    found = []
    for path in changed_paths():
        file = Path(path)
        if path.endswith(".rej"):
            found.append(f"{path}: hunks that did not apply; merge them into {path[:-4]}, "
                         "then delete this file.")  # fmt: skip
        elif file.is_file() and (match := CONFLICT_MARKER.search(file.read_bytes())):
            line = file.read_bytes()[: match.start()].count(b"\n") + 1
            found.append(f"{path}:{line}: conflict markers; keep what you need, remove them.")
    return found


def main() -> int:
    template = sys.argv[1]
    before, after = recorded_answers("HEAD"), recorded_answers(None)
    problems = keep_domains_untouched(before, after)
    problems += keep_edited_removed_files(template, before)
    problems += relock()
    problems += conflicts()
    if not problems:
        return 0
    print("\ncopier update needs you before you commit:\n", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print(
        "\nThe pre-commit hooks and CI refuse conflict markers and .rej files until they are gone.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
