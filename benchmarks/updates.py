"""Time `copier copy` and `make add-domain` (an update at the same version) by size.

Generates a project with N domains from a scratch clone of this template (tasks
included: git init, .env, uv lock), commits it, then adds one domain the way the
generated README says. An update renders only what the template owns, so adding a
domain should cost about the same at any size.

    uv run python benchmarks/updates.py [--sizes 4 50 200]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_ROOT))

from tests.updating import commit_all, copy_working_tree, git  # noqa: E402


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def measure(template: Path, size: int, scratch: Path) -> tuple[float, float]:
    project = scratch / f"project-{size}"
    domains = [f"domain{i:03d}" for i in range(size)]
    options = {"defaults": True, "unsafe": True, "quiet": True}
    copy_seconds = timed(lambda: run_copy(str(template), project, data={"domains": domains},
                                          vcs_ref="1.0.0", **options))  # fmt: skip
    commit_all(project, "Generated")
    # What `make add-domain name=shipping` runs, with this environment's Copier.
    copier = str(Path(sys.executable).parent / "copier")
    add_domain = [copier, "update", "--trust", "--defaults", "--quiet", "--vcs-ref=:current:",
                  "--data", f"domains={json.dumps([*domains, 'shipping'])}"]  # fmt: skip
    update_seconds = timed(lambda: subprocess.run(add_domain, cwd=project, check=True))
    changed = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert all(" apps/shipping/" in line or ".copier-answers.yml" in line for line in changed)
    return copy_seconds, update_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 50, 200])
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
        print(f"{'domains':>8}  {'copier copy':>12}  {'add a domain':>13}")
        for size in args.sizes:
            copy_seconds, update_seconds = measure(template, size, scratch)
            print(f"{size:>8}  {copy_seconds:>11.1f}s  {update_seconds:>12.1f}s", flush=True)


if __name__ == "__main__":
    main()
