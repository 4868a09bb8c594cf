"""Time the full test suite against `make test-affected` for a one-domain change.

For each size, a project with that many domains is generated, installed and committed
on `main`; then one domain that no other relies on gets a new service function on a
branch, as in a typical pull request. Both commands run against the same change: the
full suite (`pytest`) and the selection (`python -m modulith.architecture.affected
--base main`, what `make test-affected` runs). Each figure is the median wall time of
several runs after a warm-up run (which also compiles bytecode, as a developer's
environment has it), on SQLite.

    uv run python benchmarks/affected_tests.py [--sizes 10 50] [--runs 3]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Benchmark", "-c", "user.email=benchmark@example.com"]


class Figure(NamedTuple):
    seconds: float
    tests: int


def generate(size: int, destination: Path) -> tuple[Path, str]:
    """A committed project on `main`, and the leaf domain the change will touch."""
    domains = [f"domain{i:03d}" for i in range(size)]
    run_copy(
        str(TEMPLATE_ROOT),
        destination,
        data={"domains": domains},
        defaults=True,
        unsafe=True,  # the post-copy task renders the domains (modulith.scaffold)
        quiet=True,
    )
    # The events example makes the last domain rely on the first; the middle one is a leaf.
    return destination, domains[size // 2]


def commit_change(project: Path, domain: str) -> None:
    def git(*args: str) -> None:
        subprocess.run([*GIT, *args], cwd=project, check=True, capture_output=True)

    git("init", "--initial-branch=main")
    git("add", "--all")
    git("commit", "-m", "Generated")
    git("checkout", "-b", "change")
    with (project / "apps" / domain / "services.py").open("a") as services:
        # Private: the module map lists public functions, and stays current.
        services.write("\n\ndef _count() -> int:\n    return 0\n")
    git("commit", "--all", "-m", f"Change {domain}")


def timed(commands: list[list[str]], cwd: Path, env: dict[str, str], runs: int) -> list[Figure]:
    """Median wall time of each command over `runs` rounds, after a warm-up round, and how
    many tests it ran. The commands take turns, so a load change hits both alike."""
    passed = []
    for command in commands:  # warm-up
        output = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        if output.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{output.stdout}{output.stderr}")
        passed.append(int(re.findall(r"(\d+) passed", output.stdout)[-1]))
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for command, measured in zip(commands, times, strict=True):
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
            measured.append(time.perf_counter() - start)
    return [Figure(statistics.median(t), n) for t, n in zip(times, passed, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    uv = str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "DATABASE_URL"}}
        env["UV_PROJECT_ENVIRONMENT"] = str(Path(scratch) / "venv")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        python = str(Path(scratch) / "venv" / "bin" / "python")
        print(f"{'domains':>8}  {'full suite':>18}  {'test-affected':>18}  changed domain")
        for size in args.sizes:
            project, domain = generate(size, Path(scratch) / f"project-{size}")
            subprocess.run([uv, "sync", "--quiet"], cwd=project, env=env, check=True)
            commit_change(project, domain)
            env["DATABASE_URL"] = f"sqlite:///{project / 'db.sqlite3'}"
            options = ["-q", "-p", "no:cacheprovider"]
            figures = timed(
                [
                    [python, "-m", "pytest", *options],
                    [python, "-m", "modulith.architecture.affected", "--base", "main", *options],
                ],
                project,
                env,
                args.runs,
            )
            columns = [f"{f.seconds:>6.2f} s ({f.tests:>4} tests)" for f in figures]
            print(f"{size:>8}  {'  '.join(columns)}  {domain}", flush=True)


if __name__ == "__main__":
    main()
