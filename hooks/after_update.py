"""Run by Copier after every `copier update`, in the project, once the team's changes
are replayed (unversioned `_migrations` entries; `_tasks` would run before the replay).

    after_update.py TEMPLATE_CLONE keep     first entry: puts back the team's files
    after_update.py TEMPLATE_CLONE report   last entry: re-locks, lists what needs the team

Release migrations run between the two, so they see (and may rewrite) every file the
team keeps. Copier itself exits 0 after an update that left conflicts or dropped the
team's edits to a file the template removed. This script makes each of those visible,
and keeps uv.lock in step with the team's pyproject.toml:

1. Domains are the team's: Copier renders nothing under `apps/`, but an update from a
   version that rendered domains would delete their files; every file under `apps/`
   the update deleted is put back (`keep`). Nothing else there is undone: a release
   migration's rewrites of the team's code stay.
2. A file the new version (or a changed answer) removes is deleted only if the team
   never edited it; an edited one is put back and reported (`keep`).
3. `uv lock` re-locks the team's pyproject.toml, keeping every pin it can (`report`).
4. Each conflict block (file:line) and each `.rej` file is listed (`report`).

`report` exits 1, after listing them, when anything needs the team; Copier then exits
non-zero too. Nothing is undone: the update stays in the working tree for review.

It never writes the module map (docs/architecture.md), though an update may make it
stale (the map generator is the package's code, and the team's domains change between
updates). `manage.py domain_map` imports the whole project with Django: it would run
here, in Copier's environment, on code that may still hold conflicts, imports the team
has yet to fix (`ruff --fix`) and dependencies not yet synced, and a map drawn from
that would be wrong or fail the update for a reason that is not the update's. The map
is the team's code, reviewed and committed like the rest: the project's own test and
`domain_map --check` (pre-commit, CI) say when it is stale, and the CHANGELOG lists
`make map` among the steps after an update that changes it.

Paths are relative to the project, which may be a folder of a larger repository
(`git show HEAD:./path`, `git diff --relative`).
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from copier import run_copy

ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_MARKER = re.compile(rb"^<{7}( |$)", re.MULTILINE)
NOTES = "copier-update-notes.json"  # what `keep` found, for `report`, in the git folder


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def git_bytes(path: str) -> bytes:
    """The file at `path` (relative to the project) in the commit being updated."""
    return subprocess.run(["git", "show", f"HEAD:./{path}"], capture_output=True, check=True).stdout


def paths(output: str) -> list[str]:
    return [path for path in output.split("\0") if path]


def changed_paths() -> list[str]:
    """Every path of the project the update touched: modified, deleted, and new files."""
    tracked = paths(git("diff", "--name-only", "--relative", "-z", "HEAD", "--", "."))
    untracked = paths(git("ls-files", "--others", "--exclude-standard", "-z", "--", "."))
    return sorted({*tracked, *untracked})


def deleted_paths(*pathspec: str) -> list[str]:
    output = git("diff", "--name-only", "--relative", "-z", "--diff-filter=D", "HEAD", "--",
                 *(pathspec or ["."]))  # fmt: skip
    return paths(output)


def restore(path: str) -> None:
    """Put `path` back as it is in the commit being updated."""
    git("checkout", "HEAD", "--", f"./{path}")


def recorded_answers(from_head: bool) -> dict[str, object]:
    text = git_bytes(ANSWERS_FILE).decode() if from_head else Path(ANSWERS_FILE).read_text()
    return yaml.safe_load(text) or {}


def keep_domain_files() -> None:
    """Put back each file under apps/ the update deleted (older versions rendered them)."""
    for path in deleted_paths("apps"):
        restore(path)


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
        exclude=["apps/*/"],  # domains are the team's, kept above
    )
    return into


def keep_edited_removed_files(template: str, before: dict[str, object]) -> list[str]:
    """Put back each file the update deleted that the team had changed."""
    deleted = deleted_paths()
    if not deleted:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        previous = render_previous_version(template, before, Path(scratch) / "previous")
        edited = [
            path
            for path in deleted
            if not (previous / path).is_file() or (previous / path).read_bytes() != git_bytes(path)
        ]
    for path in edited:
        restore(path)
    return [
        f"{path}: the template no longer generates this file, but it held your edits, so it "
        "was kept; move what you need where it now belongs, then delete it."
        for path in edited
    ]


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
    """One line per conflict block, and one per `.rej` file."""
    found = []
    for path in changed_paths():
        file = Path(path)
        if path.endswith(".rej"):
            found.append(f"{path}: hunks that did not apply; merge them into {path[:-4]}, "
                         "then delete this file.")  # fmt: skip
        elif file.is_file():
            content = file.read_bytes()
            for match in CONFLICT_MARKER.finditer(content):
                line = content[: match.start()].count(b"\n") + 1
                found.append(f"{path}:{line}: conflict markers; keep what you need, "
                             "remove them.")  # fmt: skip
    return found


def notes_file() -> Path:
    return Path(git("rev-parse", "--git-path", NOTES).strip())


def keep(template: str) -> int:
    keep_domain_files()
    problems = keep_edited_removed_files(template, recorded_answers(from_head=True))
    notes_file().write_text(json.dumps(problems))
    return 0


def report() -> int:
    notes = notes_file()
    problems: list[str] = json.loads(notes.read_text()) if notes.is_file() else []
    notes.unlink(missing_ok=True)
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


def main() -> int:
    template, step = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "all"
    if step == "keep":
        return keep(template)
    if step == "report":
        return report()
    keep(template)
    return report()


if __name__ == "__main__":
    sys.exit(main())
