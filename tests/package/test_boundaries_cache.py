"""The boundary check's verdict cache and its reading on every core, on the sample project."""

import subprocess
import sys

import pytest

from modulith.boundaries import model, scan
from tests.package.sample_project import SampleProject
from tests.package.test_boundaries import assert_reported, check, project

__all__ = ["project"]  # the fixture, shared with the other boundary tests


def test_an_unchanged_project_is_not_judged_again(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("apps/orders/stock.py", "from apps.inventory.models import Item\n")
    first = check(project)
    assert first[0] == 1

    def judged(*args: object) -> None:
        raise AssertionError("the rules ran although no file changed")

    monkeypatch.setattr(model, "Project", judged)
    assert check(project) == first, "the kept verdict is served as it was"
    project.write("apps/orders/stock.py", "from apps.inventory.services import reserve\n")
    with pytest.raises(AssertionError, match="no file changed"):
        check(project)


def test_a_verdict_is_kept_only_for_the_exact_source(project: SampleProject) -> None:
    project.write("apps/orders/stock.py", "from apps.inventory.services import reserve\n")
    assert check(project)[0] == 0
    project.write("apps/orders/extra.py", "from apps.inventory.models import Item\n")

    code, report = check(project)

    assert code == 1, "a new file changes the key"
    assert_reported(report, "apps/orders/extra.py:1", "public-interface")
    (project.root / "apps/orders/extra.py").unlink()
    assert check(project)[0] == 0, "so does a removed one"


def test_a_cache_from_an_older_reader_is_dropped(project: SampleProject) -> None:
    assert check(project)[0] == 0
    cache = project.root / scan.CACHE_FILE
    assert scan.load_stored(cache)[0], "entries were kept"

    cache.write_bytes(cache.read_bytes().replace(scan.cache_version(), b"x" * 16))

    assert scan.load_stored(cache) == ({}, b"", None)


READ_ON_EVERY_CORE = """
import sys
from pathlib import Path
from modulith.boundaries import scan
scan.PARALLEL_FROM = int(sys.argv[1])
modules = scan.scan(Path(sys.argv[2]), use_cache=False)
print(sorted((name, module.facts) for name, module in modules.items()))
"""


# A child that dies after sending some batches: the batch it was reading is read again.
CHILD_DIES = """
import os
from modulith.boundaries import scan
parent, read_file, count = os.getpid(), scan.read_file, [0]
scan.BATCH = 1

def dying(*args):
    count[0] += os.getpid() != parent
    if count[0] == 3:
        os._exit(1)
    return read_file(*args)

scan.read_file = dying
"""


def read_in_processes(project: SampleProject, parallel_from: int, prelude: str = "") -> str:
    script = prelude + READ_ON_EVERY_CORE
    command = [sys.executable, "-c", script, str(parallel_from), str(project.root)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_reading_on_every_core_gives_what_one_process_reads(project: SampleProject) -> None:
    project.write("apps/orders/broken.py", "def broken(:\n")

    assert read_in_processes(project, 1) == read_in_processes(project, 10**9)
    assert "apps.orders.broken" in read_in_processes(project, 1)


def test_a_reading_process_that_dies_loses_nothing(project: SampleProject) -> None:
    alone = read_in_processes(project, 10**9)

    assert read_in_processes(project, 1, prelude=CHILD_DIES) == alone


def test_the_command_imports_what_judges_only_while_files_are_read() -> None:
    script = "import sys, modulith.boundaries.cli; print(*sys.modules)"
    command = [sys.executable, "-c", script]
    imported = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()

    judges = {f"modulith.boundaries.{name}" for name in ("model", "rules", "baseline")}
    assert "modulith.boundaries.scan" in imported
    assert judges.isdisjoint(imported), "imported before any file is read"
