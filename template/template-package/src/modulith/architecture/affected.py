"""Run only the tests a change can break: `make test-affected [base=main]`.

    python -m modulith.architecture.affected --base main [pytest options]

The change is everything since the merge base of `--base` and HEAD, uncommitted and
untracked files included. A changed domain's tests run, and so do the tests of every
domain that relies on it, transitively, through any edge of the domain graph
(declared dependencies, event subscriptions, model relations). Every test runs when
the change reaches beyond the domains: shared code (core/, config/, conftest.py,
pyproject.toml, uv.lock, ...) or the migrations of a domain others rely on. The
reasons are printed before pytest starts. Reads the code without setting Django up.
With nothing to compare with (a repository with no commit yet, or no `--base` branch
in this clone) every test runs, and the report says why.
"""

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from modulith.architecture.graph import DomainGraph, load_graph
from modulith.domains import project_root

# Files no test reads: documentation and what only builds or deploys the project.
# Anything else outside apps/<domain>/ may reach any domain, so it runs every test.
NO_TESTS_READ = frozenset(
    {
        ".copier-answers.yml",
        ".dockerignore",
        ".env.example",
        ".gitignore",
        ".pre-commit-config.yaml",
        "Dockerfile",
        "Makefile",
        "compose.yaml",
        "gunicorn.conf.py",
    }
)
NO_TESTS_READ_SUFFIXES = (".md", ".rst")
EXIT_NO_TESTS_COLLECTED = 5  # pytest's exit code when the selected paths hold no test


@dataclass
class Selection:
    """What to test: everything (with the reasons), or these domains (each with why)."""

    everything: list[str] = field(default_factory=list)
    domains: dict[str, str] = field(default_factory=dict)

    def pytest_paths(self) -> list[str]:
        """Empty for everything: pytest then runs its configured `testpaths`."""
        return [] if self.everything else [f"apps/{domain}" for domain in sorted(self.domains)]


def select(changed: Iterable[str], graph: DomainGraph) -> Selection:
    """Decide which tests a change to these files (relative to the project) reaches."""
    selection = Selection()
    code: dict[str, list[str]] = {}  # domain -> its changed files outside its tests
    tests: dict[str, list[str]] = {}  # domain -> its changed test files
    for path in sorted(changed):
        parts = PurePosixPath(path).parts
        domain = parts[1] if len(parts) > 2 and parts[0] == "apps" else None
        if domain is None:
            if not reads_no_test(path):
                selection.everything.append(f"{path} is shared by every domain")
        elif domain not in graph.domains:
            selection.everything.append(f"{path}: apps/{domain}/ is not a domain any more")
        elif parts[2] == "tests":
            tests.setdefault(domain, []).append(path)
        elif parts[2] == "migrations" and graph.dependents(domain):
            users = ", ".join(sorted(graph.dependents(domain)))
            selection.everything.append(
                f"{path} changes the schema of {domain}, which {users} rely on"
            )
        else:
            code.setdefault(domain, []).append(path)

    for domain, files in tests.items():
        selection.domains[domain] = f"its tests changed: {listing(files)}"
    for domain, files in code.items():
        selection.domains[domain] = f"changed: {listing(files)}"
    for domain, (target, kinds) in graph.reached_from(code).items():
        why = ", ".join(kind.description for kind in kinds)
        selection.domains.setdefault(domain, f"relies on {target} ({why})")
    return selection


def reads_no_test(path: str) -> bool:
    return (
        path in NO_TESTS_READ or path.endswith(NO_TESTS_READ_SUFFIXES) or path.startswith("docs/")
    )


def listing(files: list[str], shown: int = 3) -> str:
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(files[:shown]) + more


def git(*args: str, hint: str = "") -> str:
    """Run git in the project; stop with git's own message (and the hint) when it fails."""
    executable = shutil.which("git")
    if executable is None:
        sys.exit("test-affected needs git, which is not on PATH.")
    result = subprocess.run(  # noqa: S603 (fixed git sub-commands; the ref is an argument)
        [executable, *args], cwd=project_root(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"`git {' '.join(args)}` failed: {result.stderr.strip()}\n{hint}".strip())
    return result.stdout


def no_comparison(base: str) -> str | None:
    """Why there is nothing to compare with, or None when HEAD and `base` both exist."""
    executable = shutil.which("git")
    if executable is None:
        return "git is not on PATH, so no change can be measured"

    def resolves(ref: str) -> bool:
        return (
            subprocess.run(  # noqa: S603 (fixed git sub-command; the ref is an argument)
                [executable, "rev-parse", "--verify", "--quiet", ref + "^{commit}"],
                cwd=project_root(),
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    inside = subprocess.run(  # noqa: S603 (fixed git sub-command)
        [executable, "rev-parse", "--is-inside-work-tree"],
        cwd=project_root(),
        capture_output=True,
        check=False,
    )
    if inside.returncode != 0:
        return "the project is not in a git repository, so no change can be measured"
    if not resolves("HEAD"):
        return "the repository has no commit yet, so no change can be measured"
    if not resolves(base):
        return (
            f"this clone has no '{base}' to compare with; name one with "
            f"`make test-affected base=<ref>` (in CI, fetch the base branch first)"
        )
    return None


def changed_files(base: str) -> tuple[str, list[str]]:
    """The merge base of `base` and HEAD, and every file changed since, relative to here."""
    hint = (
        f"Compare with a branch or commit this clone has: `make test-affected base=<ref>` "
        f"(in CI, fetch the base branch first; a shallow clone may lack '{base}')."
    )
    merge_base = git("merge-base", base, "HEAD", hint=hint).strip()
    committed_or_not = git("diff", "--name-only", "--no-renames", "--relative", "-z", merge_base)
    untracked = git("ls-files", "--others", "--exclude-standard", "-z")
    return merge_base, sorted(set(filter(None, (committed_or_not + untracked).split("\0"))))


def report(selection: Selection, graph: DomainGraph) -> list[str]:
    if selection.everything:
        return ["Running every test:", *(f"  {reason}" for reason in selection.everything)]
    if not selection.domains:
        return ["No change reaches a test: nothing to run."]
    width = max(map(len, selection.domains))
    return [
        f"Running the tests of {len(selection.domains)} of {len(graph.domains)} domains:",
        *(f"  {domain:<{width}}  {why}" for domain, why in sorted(selection.domains.items())),
    ]


def say(*lines: str) -> None:
    """Print before pytest's own output, which a pipe would otherwise put first."""
    print(*lines, sep="\n", flush=True)  # noqa: T201


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modulith.architecture.affected",
        description="Run the tests of the domains a change reaches; other options go to pytest.",
    )
    parser.add_argument("--base", default="main", help="branch or commit to compare with")
    options, pytest_options = parser.parse_known_args(argv)

    graph = load_graph()
    if reason := no_comparison(options.base):
        selection = Selection(everything=[reason])
        header = f"Nothing to compare with {options.base}."
    else:
        merge_base, changed = changed_files(options.base)
        selection = select(changed, graph)
        header = (
            f"Changes since {options.base} (merge base {merge_base[:10]}): {len(changed)} file(s)."
        )
    say(header, *report(selection, graph))
    if not selection.everything and not selection.domains:
        return 0
    command = [sys.executable, "-m", "pytest", *selection.pytest_paths(), *pytest_options]
    say(f"$ python {' '.join(command[1:])}")
    code = subprocess.run(command, cwd=project_root(), check=False).returncode  # noqa: S603
    return 0 if code == EXIT_NO_TESTS_COLLECTED else code


if __name__ == "__main__":
    sys.exit(main())
