"""Time the boundary check of generated projects with 10, 50 and 200 domains.

Beside the project's own command it times plain import-linter (built-in contracts,
one `independence` contract over all domains plus `forbidden` for core) and tach
(one module per domain, `services` as the interface): the references it is measured
against, installed here only. Each figure is the median wall time of several runs,
after one warm-up run that fills the tools' caches, with bytecode compiled as in a
developer's environment.

    uv run python benchmarks/boundaries.py [--sizes 10 50 200] [--runs 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copier import run_copy

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
TACH = "tach==0.35.3"


def generate(size: int, destination: Path) -> Path:
    domains = [f"domain{i:03d}" for i in range(size)]
    run_copy(
        str(TEMPLATE_ROOT),
        destination,
        data={"domains": domains},
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    write_plain_importlinter(destination, domains)
    write_tach(destination, domains)
    return destination


def write_plain_importlinter(project: Path, domains: list[str]) -> None:
    modules = "\n".join(f"    apps.{d}" for d in domains)
    (project / ".importlinter-plain").write_text(
        "[importlinter]\nroot_packages =\n    apps\n    core\n    config\n\n"
        "[importlinter:contract:independent]\nname = Domains are independent\n"
        f"type = independence\nmodules =\n{modules}\n\n"
        "[importlinter:contract:core]\nname = core never imports a domain\n"
        "type = forbidden\nsource_modules =\n    core\nforbidden_modules =\n    apps\n"
    )


def write_tach(project: Path, domains: list[str]) -> None:
    modules = "".join(f'\n[[modules]]\npath = "apps.{d}"\ndepends_on = ["core"]\n' for d in domains)
    interfaces = ", ".join(f'"apps.{d}"' for d in domains)
    (project / "tach.toml").write_text(
        'source_roots = ["."]\nexclude = [".venv", "**/tests", "**/migrations"]\n'
        '\n[[modules]]\npath = "core"\ndepends_on = []\nutility = true\n'
        f'{modules}\n[[interfaces]]\nexpose = ["services.*"]\nfrom = [{interfaces}]\n'
    )


def median_seconds(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    uv = str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env.update(UV_PROJECT_ENVIRONMENT=str(venv), UV_COMPILE_BYTECODE="1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        python, lint_imports = str(venv / "bin/python"), str(venv / "bin/lint-imports")
        tools = {
            "python -c pass": [python, "-c", "pass"],
            "manage.py check_boundaries": [python, "manage.py", "check_boundaries"],
            "lint-imports (domain contract)": [lint_imports, "--no-logo"],
            "lint-imports (plain contracts)": [
                lint_imports, "--no-logo", "--config", ".importlinter-plain",
            ],
            "tach check": [str(Path(scratch) / "tach/bin/tach"), "check"],
        }  # fmt: skip
        tach_env = Path(scratch) / "tach"
        subprocess.run([uv, "venv", "--quiet", str(tach_env)], env=env, check=True)
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", str(tach_env / "bin/python"), TACH],
            env=env,
            check=True,
        )
        print(f"{'domains':>8}  " + "  ".join(f"{name:>30}" for name in tools))
        for size in args.sizes:
            project = generate(size, Path(scratch) / f"project-{size}")
            subprocess.run([uv, "sync", "--quiet"], cwd=project, env=env, check=True)
            figures = [median_seconds(cmd, project, env, args.runs) for cmd in tools.values()]
            print(f"{size:>8}  " + "  ".join(f"{seconds:>29.2f}s" for seconds in figures))


if __name__ == "__main__":
    main()
