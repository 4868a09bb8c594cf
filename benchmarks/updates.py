"""Time `copier copy` and `manage.py startdomain` by the number of domains.

Generates a project with N domains from a scratch clone of this template (tasks
included: domains, git init, .env, uv lock), commits it, then adds one domain the way
the generated README says (`make add-domain`, i.e. `manage.py startdomain`). The
scaffold renders one folder, so adding a domain costs the same at any size.

With `--reference PATH` (a local clone of another Copier template, e.g.
pawamoy/copier-uv), its default copy is timed in the same run and the ratio printed.
Also prints the lines of Python in a fresh default project, by folder.

    uv run python benchmarks/updates.py [--sizes 4 50] [--reference ../copier-uv]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_ROOT))

from tests.updating import commit_all, copy_working_tree, git  # noqa: E402

COPY_OPTIONS = {"defaults": True, "unsafe": True, "quiet": True}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def python_lines(folder: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in folder.rglob("*.py"))


def start_domain(project: Path) -> float:
    """Seconds `manage.py startdomain shipping` takes, as a process, in the project."""
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    package = str(project / "template-package" / "src")
    environment["PYTHONPATH"] = os.pathsep.join([package, str(project)])
    command = [sys.executable, "manage.py", "startdomain", "shipping", "--worker", "django-q2"]
    seconds = timed(lambda: subprocess.run(command, cwd=project, env=environment, check=True,
                                           capture_output=True))  # fmt: skip
    changed = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert changed, "startdomain wrote nothing"
    assert all(" apps/shipping/" in line for line in changed), changed
    return seconds


def measure(template: Path, size: int, scratch: Path) -> tuple[float, float]:
    project = scratch / f"project-{size}"
    domains = [f"domain{i:03d}" for i in range(size)]
    copy_seconds = timed(lambda: run_copy(str(template), project, data={"domains": domains},
                                          vcs_ref="1.0.0", **COPY_OPTIONS))  # fmt: skip
    commit_all(project, "Generated")
    return copy_seconds, start_domain(project)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 50])
    parser.add_argument("--reference", type=Path, help="another template to time beside")
    parser.add_argument(
        "--reference-data",
        nargs="*",
        default=["project_name=Shop", "project_description=A shop."],
        help="KEY=VALUE answers the reference template has no default for",
    )
    args = parser.parse_args()
    if shutil.which("git") is None:
        sys.exit("git is needed")
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        template = scratch / "template"
        copy_working_tree(template)
        git(template, "init", "--quiet")
        commit_all(template, "1.0.0")
        git(template, "tag", "1.0.0")
        defaults = scratch / "defaults"
        ours = timed(lambda: run_copy(str(template), defaults, vcs_ref="1.0.0", **COPY_OPTIONS))
        lines = {
            name: python_lines(defaults / name) for name in ("core", "template-package", "apps")
        }
        print(
            "Python lines in a default project: " + ", ".join(f"{k}/ {v}" for k, v in lines.items())
        )
        if args.reference:
            data = dict(item.split("=", 1) for item in args.reference_data)
            theirs = timed(lambda: run_copy(str(args.reference), scratch / "reference",
                                            data=data, **COPY_OPTIONS))  # fmt: skip
            print(f"copier copy, defaults: {ours:.2f} s; {args.reference.name}: {theirs:.2f} s; "
                  f"ratio {ours / theirs:.2f}")  # fmt: skip
        print(f"{'domains':>8}  {'copier copy':>12}  {'startdomain':>12}")
        for size in args.sizes:
            copy_seconds, start_seconds = measure(template, size, scratch)
            print(f"{size:>8}  {copy_seconds:>11.2f}s  {start_seconds:>11.2f}s", flush=True)


if __name__ == "__main__":
    main()
