"""Defects a review of the boundary check found: reading the tree, scale, false alarms
and misses."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modulith.boundaries import scan
from tests.package.sample_project import SampleProject
from tests.package.test_boundaries import assert_reported, check


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SampleProject:
    project = SampleProject(tmp_path / "project")
    monkeypatch.chdir(project.root)
    return project


def test_a_folder_whose_listing_fails_half_way_is_a_finding(
    project: SampleProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("apps/orders/deep/__init__.py", "")
    real_scandir = os.scandir

    class Failing:
        def __init__(self, path: str) -> None:
            self.inner = real_scandir(path)

        def __enter__(self) -> "Failing":
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def close(self) -> None:
            self.inner.close()

        def __iter__(self) -> Iterator[os.DirEntry[str]]:
            yield from self.inner
            raise PermissionError(13, "Permission denied")

    def scandir(path: str) -> object:
        return Failing(path) if str(path).endswith("deep") else real_scandir(path)

    monkeypatch.setattr(scan.os, "scandir", scandir)

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/orders/deep:1", "ownership", "cannot be listed")


def test_a_dangling_python_link_is_a_file_that_cannot_be_read(project: SampleProject) -> None:
    (project.root / "apps/orders/dangling.py").symlink_to(project.root / "nowhere/file.py")

    status, report = check(project, "--no-cache")

    assert status == 1
    assert_reported(report, "apps/orders/dangling.py:1", "ownership", "cannot be read")
