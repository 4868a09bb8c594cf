"""Time the boundary check of generated projects with 50, 200 and 500 domains.

Beside the project's own command (`python manage.py check_boundaries`, every rule) it
times tach, the reference, configured to match the project's declarations: one module
per domain depending on what its `apps.py` declares, `services` and `events` as the
interface, `core` a utility that may import no domain, no cycles. Plain import-linter
(an `independence` contract over all domains, ignoring the declared dependencies, and
a `forbidden` one for core) shows what an import graph alone costs. tach and
import-linter are installed in a separate environment, never in the project.

Each figure is the median wall time of several runs after one warm-up run that fills
the tools' caches (the boundary check's own cache included), the tools taking turns,
once with bytecode written as in a developer's environment and once with
PYTHONDONTWRITEBYTECODE=1 as in many CI images: then the project's own `__pycache__`
folders are removed first, so the check's code (the template's package, installed for
editing) is compiled on every run, as in a fresh checkout there. "no cache" runs the check with
`--no-cache`, as a first run or a CI job without a restored cache does. The two
ratios of wall time against tach are printed: the check without its cache (the goal:
at most 1.2) and with it (at most 0.5); then the ratio of CPU time without the cache,
and the machine's load (its 1-minute average). The check reads on every core and tach
mostly on one, so on a busy machine, where no core is free, the wall ratio drifts
towards the CPU ratio. Last, the share of `manage.py check`'s time that the
boundary system check (modulith.boundaries.checks) takes (the goal: under 5%). Every
tool must pass on the generated project, so a broken configuration stops the script
instead of timing it. Then, in the smallest project, a generated module of 1 MB and
one of 5 MB: the check's time without its cache, its peak memory (resident set, the
largest of its processes) and the size of the cache it leaves (a module's strings
stay out of it).

    uv run python benchmarks/boundaries.py [--sizes 50 200 500] [--runs 5]
"""

import argparse
import ast
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ["tach==0.35.3", "import-linter==2.16"]


def generate(size: int, destination: Path) -> Path:
    domains = [f"domain{i:03d}" for i in range(size)]
    run_copy(
        str(TEMPLATE_ROOT),
        destination,
        data={"domains": domains},
        defaults=True,
        unsafe=True,  # the copy's task renders the domains
        quiet=True,
    )
    depends_on = {domain: declared_dependencies(destination, domain) for domain in domains}
    write_tach(destination, depends_on)
    write_plain_importlinter(destination, depends_on)
    return destination


def declared_dependencies(project: Path, domain: str) -> list[str]:
    """The literal `depends_on` tuple of the domain's AppConfig."""
    source = (project / "apps" / domain / "apps.py").read_text()
    match = re.search(r"^    depends_on: tuple\[str, \.\.\.\] = (\(.*\))$", source, re.M)
    assert match, f"no depends_on in apps/{domain}/apps.py"
    return list(ast.literal_eval(match.group(1)))


def write_tach(project: Path, depends_on: dict[str, list[str]]) -> None:
    modules = "".join(
        f'\n[[modules]]\npath = "apps.{domain}"\n'
        f"depends_on = {['core', *(f'apps.{t}' for t in targets)]!r}\n".replace("'", '"')
        for domain, targets in depends_on.items()
    )
    interfaces = ", ".join(f'"apps.{domain}"' for domain in depends_on)
    (project / "tach.toml").write_text(
        'source_roots = ["."]\nexclude = [".venv", "**/__pycache__"]\n'
        "forbid_circular_dependencies = true\n"
        '\n[[modules]]\npath = "core"\ndepends_on = []\nutility = true\n'
        f'{modules}\n[[interfaces]]\nexpose = ["services.*", "events.*"]\n'
        f"from = [{interfaces}]\n"
    )


def write_plain_importlinter(project: Path, depends_on: dict[str, list[str]]) -> None:
    modules = "".join(f"\n    apps.{domain}" for domain in depends_on)
    declared = "".join(
        f"\n    apps.{domain}.** -> apps.{target}.{public}"
        for domain, targets in depends_on.items()
        for target in targets
        for public in ("services", "events")
    )
    ignore = f"ignore_imports ={declared}\nunmatched_ignore_imports_alerting = none\n"
    (project / ".importlinter-plain").write_text(
        "[importlinter]\nroot_packages =\n    apps\n    core\n    config\n\n"
        "[importlinter:contract:independent]\nname = Domains are independent\n"
        f"type = independence\nmodules ={modules}\n{ignore if declared else ''}\n"
        "[importlinter:contract:core]\nname = core never imports a domain\n"
        "type = forbidden\nsource_modules =\n    core\nforbidden_modules =\n    apps\n"
    )


class Timing(NamedTuple):
    """Median seconds of a command: wall time, and CPU time (user and system, its
    child processes included) as a busy machine cannot stretch it."""

    wall: float
    cpu: float


def median_seconds(
    tools: dict[str, list[str]], cwd: Path, env: dict[str, str], runs: int
) -> dict[str, Timing]:
    """Median times of each command; the commands take turns, so a load that comes
    and goes on a shared machine weighs on all of them alike."""
    for command in tools.values():
        check(command, cwd, env)  # warm-up, and proof that the tool passes
    times: dict[str, list[Timing]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, command in tools.items():
            times[name].append(timed(command, cwd, env))
    return {
        name: Timing(*map(statistics.median, zip(*values, strict=True)))
        for name, values in times.items()
    }


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    start = time.perf_counter()
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=quiet, stderr=quiet)
    _, status, usage = os.wait4(process.pid, 0)  # as wait() does, with the CPU time
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        check(command, cwd, env)  # shows the tool's output
        sys.exit(f"`{' '.join(command)}` failed once in {cwd}")
    return Timing(wall, usage.ru_utime + usage.ru_stime)


def check(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed in {cwd}:\n{result.stdout}{result.stderr}")


SYSTEM_CHECK_SHARE = """
import time
from modulith.boundaries.checks import check_model_relations
start = time.perf_counter()
check_model_relations()
print(time.perf_counter() - start)
"""


def system_check_share(python: str, project: Path, env: dict[str, str]) -> float:
    """The boundary system check's time over the whole `manage.py check`'s (medians of 3)."""
    totals, parts = [], []
    for _ in range(3):
        start = time.perf_counter()
        check([python, "manage.py", "check"], project, env)
        totals.append(time.perf_counter() - start)
        shell = [python, "manage.py", "shell", "-c", SYSTEM_CHECK_SHARE]
        result = subprocess.run(shell, cwd=project, env=env, capture_output=True, text=True)
        parts.append(float(result.stdout.split()[-1]))
    return statistics.median(parts) / statistics.median(totals)


PEAK_MEMORY = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(time.perf_counter() - start, peak * (1 if sys.platform == "darwin" else 1024))
"""


def generated_module(megabytes: int) -> str:
    """Rows of data, as a generator of fixtures or translations writes them."""
    rows = megabytes * 13_000
    return "".join(
        f"ROW_{i} = {{'name': 'select the value from inventory_item {i}', 'n': {i}}}\n"
        for i in range(rows)
    )


def large_modules(python: str, project: Path, env: dict[str, str]) -> None:
    """Time, peak memory and cache size of the check with one large generated module."""
    print("\nmodule | check_boundaries --no-cache | peak memory | cache file")
    print("---: | ---: | ---: | ---:")
    module = next((project / "apps").glob("*/apps.py")).parent / "generated.py"
    command = [python, "manage.py", "check_boundaries"]
    for megabytes in (1, 5):
        module.write_text(generated_module(megabytes))
        measured = [sys.executable, "-c", PEAK_MEMORY, *command, "--no-cache"]
        result = subprocess.run(measured, cwd=project, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"the check failed on a {megabytes} MB module:\n{result.stderr}")
        seconds, peak = map(float, result.stdout.split())
        (project / ".boundaries_cache").unlink(missing_ok=True)
        check(command, project, env)
        cache = (project / ".boundaries_cache").stat().st_size
        size = module.stat().st_size / 1e6
        print(f"{size:.1f} MB | {seconds:.2f} s | {peak / 1e6:.0f} MB | {cache / 1e3:.0f} kB")
    module.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    uv = str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory() as scratch:
        venv, references = Path(scratch) / "venv", Path(scratch) / "references"
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env.update(UV_PROJECT_ENVIRONMENT=str(venv), UV_COMPILE_BYTECODE="1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as in a developer's shell
        subprocess.run([uv, "venv", "--quiet", str(references)], env=env, check=True)
        install = [uv, "pip", "install", "--quiet", "--python", str(references / "bin/python")]
        subprocess.run([*install, *REFERENCES], env=env, check=True)
        python, lint_imports = str(venv / "bin/python"), str(references / "bin/lint-imports")
        tools = {
            "python -c pass": [python, "-c", "pass"],
            "check_boundaries": [python, "manage.py", "check_boundaries"],
            "check_boundaries, no cache": [python, "manage.py", "check_boundaries", "--no-cache"],
            "tach check": [str(references / "bin/tach"), "check"],
            "plain import-linter": [lint_imports, "--no-logo", "--config", ".importlinter-plain"],
        }
        header = [
            "domains", "bytecode", *tools, "no cache / tach", "cache / tach",
            "no cache / tach, CPU time", "system check share", "load",
        ]  # fmt: skip
        print(" | ".join(header))
        print(" | ".join("---:" for _ in header))
        for size in args.sizes:
            project = generate(size, Path(scratch) / f"project-{size}")
            subprocess.run([uv, "sync", "--quiet"], cwd=project, env=env, check=True)
            share = system_check_share(python, project, env)
            for bytecode in ("written", "not written"):
                variant = dict(env, PYTHONDONTWRITEBYTECODE="1") if bytecode != "written" else env
                if bytecode != "written":
                    for cached in list(project.rglob("__pycache__")):
                        shutil.rmtree(cached)
                seconds = median_seconds(tools, project, variant, args.runs)
                cold, tach = seconds["check_boundaries, no cache"], seconds["tach check"]
                ratios = [cold.wall / tach.wall, seconds["check_boundaries"].wall / tach.wall]
                ratios.append(cold.cpu / tach.cpu)
                cells = [f"{timing.wall:.2f} s" for timing in seconds.values()]
                figures = [f"{ratio:.2f}" for ratio in ratios]
                load = f"{os.getloadavg()[0]:.1f}"
                row = [str(size), bytecode, *cells, *figures, f"{share:.2%}", load]
                print(" | ".join(row), flush=True)
        large_modules(python, Path(scratch) / f"project-{min(args.sizes)}", env)


if __name__ == "__main__":
    main()
