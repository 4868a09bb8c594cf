"""Every benchmark script runs, at its smallest size and once: none may rot unnoticed.

No figure is asserted; the scripts print them for people (README: Speed).
"""

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Render
from tests.helpers import TEMPLATE_ROOT, run

pytestmark = pytest.mark.project

# Each script in benchmarks/ and the test module that smoke-runs it.
SMOKE_RUNS = {
    "affected_tests.py": "test_affected_tests.py",
    "app.py": "test_benchmarks.py",
    "boundaries.py": "test_benchmarks.py",
    "extraction.py": "test_benchmarks.py",
    "telemetry.py": "test_benchmarks.py",
    "updates.py": "test_update.py",
}


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = sorted(path.name for path in (TEMPLATE_ROOT / "benchmarks").glob("*.py"))

    assert scripts == sorted(SMOKE_RUNS)
    for script, module in SMOKE_RUNS.items():
        assert f"benchmarks/{script}" in (TEMPLATE_ROOT / "tests" / module).read_text() or (
            f'"benchmarks" / "{script}"' in (TEMPLATE_ROOT / "tests" / module).read_text()
        ), f"{module} does not run benchmarks/{script}"


def test_boundary_benchmark_prints_its_table() -> None:
    script = TEMPLATE_ROOT / "benchmarks" / "boundaries.py"

    result = run([sys.executable, str(script), "--sizes", "2", "--runs", "1"], TEMPLATE_ROOT)

    speed, large = result.stdout.split("\n\n")
    header, _, *rows = speed.splitlines()
    assert header.split(" | ")[2:6] == [
        "python -c pass",
        "check_boundaries",
        "check_boundaries, no cache",
        "tach check",
    ]
    # One row with bytecode written and one without; then the ratios to tach, the load.
    assert [row.split(" | ")[1] for row in rows] == ["written", "not written"]
    figures = r"2 \| (not )?written( \| \d+\.\d\d s){5}( \| \d+\.\d\d){3} \| \d+\.\d\d% \| \d+\.\d"
    for row in rows:
        assert re.fullmatch(figures, row), row
    # A generated module of 1 MB and of 5 MB: time, peak memory, cache size.
    header, _, *rows = large.splitlines()
    assert header == "module | check_boundaries --no-cache | peak memory | cache file"
    sizes = [row.split(" | ")[0] for row in rows]
    assert sizes == ["1.0 MB", "5.1 MB"]
    for row in rows:
        assert re.fullmatch(r"\d\.\d MB \| \d+\.\d\d s \| \d+ MB \| \d+ kB", row), row


def test_extraction_benchmark_prints_its_table() -> None:
    script = TEMPLATE_ROOT / "benchmarks" / "extraction.py"

    result = run([sys.executable, str(script), "--sizes", "3", "--runs", "1"], TEMPLATE_ROOT)

    *_, row = result.stdout.splitlines()
    assert re.fullmatch(r"\| 3 \| 30 (\| \d+\.\d{3} s ){3}\| 1 \|", row), row


def test_app_benchmark_runs_at_its_smallest_size(
    render: Render, install: Callable[[Path], Path], postgres_admin: str
) -> None:
    project = install(render({}))
    sizes = ["--requests", "5", "--clients", "2", "--rows", "10", "--publications", "5"]

    result = run(
        [sys.executable, str(TEMPLATE_ROOT / "benchmarks" / "app.py"), "--project", str(project),
         *sizes],
        cwd=TEMPLATE_ROOT,
    )  # fmt: skip

    print(result.stdout)
    for figure in ("GET /health/", "(first page)", "POST /api/orders/", "(wrong password)"):
        assert figure in result.stdout
    # Requests per second, share of /health/'s, p50, p99: each endpoint against /health/.
    rows = {
        line[:36].strip(): line[36:].split()
        for line in result.stdout.splitlines()
        if line.startswith(("GET ", "POST "))
    }
    assert len(rows) == 4, result.stdout
    assert rows["GET /health/"][1] == "100%"
    assert all(re.fullmatch(r"\d+%", figures[1]) for figures in rows.values()), rows
    assert "drained 5 pending publications with django-q2" in result.stdout


def test_telemetry_benchmark_runs_at_its_smallest_size(
    render: Render, install: Callable[[Path], Path], postgres_admin: str
) -> None:
    project = install(render({}))
    sizes = ["--requests", "5", "--clients", "2", "--rows", "10", "--rounds", "1"]

    result = run(
        [sys.executable, str(TEMPLATE_ROOT / "benchmarks" / "telemetry.py"), "--project",
         str(project), *sizes],
        cwd=TEMPLATE_ROOT,
    )  # fmt: skip

    print(result.stdout)
    for endpoint in ("GET /health/", "GET /api/orders/ (first page)"):
        (row,) = [line for line in result.stdout.splitlines() if line.startswith(endpoint)]
        assert re.fullmatch(
            rf"{re.escape(endpoint)}\s+(\d+\.\d\s+){{3}}\d\.\d{{3}}\s+\d\.\d{{3}}", row
        ), row
