"""Time `extraction_report` on a project of many domains, written on disk (no Copier).

Each domain `dNNN` has a model, services, events, handlers, tasks and a migration, as a
generated domain has; each one calls the previous domain's service in a loop inside
`transaction.atomic`, handles its event, relates to its model and depends on its
migration, so every section of the report has rows. The report is built for the
middle domain, as `manage.py extraction_report` builds it (the same functions, without
Django's start-up): reading the project cold (no cache), warm (the boundary check's
cache), and the report alone on a model already read. Each figure is the median of
several runs.

    uv run python benchmarks/extraction.py [--sizes 50] [--runs 5]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from modulith.architecture.extraction import build_report, render_markdown
from modulith.boundaries.model import Project

APPS = """\
from django.apps import AppConfig


class {title}Config(AppConfig):
    name = "apps.{d}"
    label = "{d}"

    depends_on: tuple[str, ...] = ({depends})
    model_relations_to: tuple[str, ...] = ({depends})
    strict = False
"""
MODELS = """\
from django.db import models


class Thing(models.Model):
    name = models.CharField(max_length=100)
{relation}"""
EVENTS = """\
from dataclasses import dataclass

from modulith.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ThingCreated(DomainEvent):
    thing_id: int
"""
SERVICES = """\
from django.conf import settings
from django.db import transaction

from apps.{d}.events import ThingCreated
from apps.{d}.models import Thing
from modulith.events import publish
{imports}

def create_thing(*, name: str, count: int = 1) -> int:
    with transaction.atomic():
{calls}        thing = Thing.objects.create(name=name[: settings.NAME_LENGTH])
        publish(ThingCreated(thing_id=thing.pk))
    return thing.pk
"""
HANDLERS = """\
{imports}from modulith.events import subscriber
{handler}"""
TASKS = """\
def refresh(thing_id: int) -> None:
    return None
"""
MIGRATION = """\
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = [{depends}]
    operations: list[migrations.operations.base.Operation] = []
"""


def write_domain(root: Path, index: int) -> None:
    d, previous = f"d{index:03d}", f"d{index - 1:03d}" if index else ""
    folder = root / "apps" / d
    (folder / "migrations").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "apps.py": APPS.format(title=d.title(), d=d, depends=f'"{previous}",' if previous else ""),
        "models.py": MODELS.format(
            relation=(
                f'    other = models.ForeignKey("{previous}.Thing", on_delete=models.CASCADE)\n'
            )
            if previous
            else ""
        ),
        "events.py": EVENTS,
        "services.py": SERVICES.format(
            d=d,
            imports=f"from apps.{previous} import services as {previous}\n" if previous else "",
            calls=(
                f"        for i in range(count):\n            {previous}.create_thing(name=name)\n"
            )
            if previous
            else "",
        ),
        "handlers.py": HANDLERS.format(
            imports=f"from apps.{previous}.events import ThingCreated\n" if previous else "",
            handler=(
                "\n\n@subscriber(ThingCreated, durable=True)\n"
                "def on_thing_created(event: ThingCreated) -> None:\n    return None\n"
            )
            if previous
            else "",
        ),
        "tasks.py": TASKS,
        "migrations/__init__.py": "",
        "migrations/0001_initial.py": MIGRATION.format(
            depends=f'("{previous}", "0001_initial")' if previous else ""
        ),
    }
    for name, text in files.items():
        (folder / name).write_text(text)


def generate(size: int, root: Path) -> Path:
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "__init__.py").write_text("")
    (root / "core").mkdir()
    (root / "core" / "__init__.py").write_text("")
    (root / "config").mkdir()
    (root / "config" / "__init__.py").write_text("")
    for index in range(size):
        write_domain(root, index)
    return root


def median_seconds(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(size: int, runs: int) -> tuple[int, float, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        root = generate(size, Path(folder) / "project")
        domain = f"d{size // 2:03d}"

        def report(use_cache: bool) -> str:
            return render_markdown(build_report(Project.read(root, use_cache), root, domain))

        report(True)  # fills the cache the warm runs read
        cold = median_seconds(runs, lambda: report(False))
        warm = median_seconds(runs, lambda: report(True))
        project = Project.read(root)
        alone = median_seconds(runs, lambda: render_markdown(build_report(project, root, domain)))
        files = sum(1 for _ in root.rglob("*.py"))
        rows = len(build_report(project, root, domain).inbound_calls)
        return files, cold, warm, alone, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print("| domains | files | report, cold | report, warm cache | report alone | calls in |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in options.sizes:
        files, cold, warm, alone, rows = measure(size, options.runs)
        print(f"| {size} | {files} | {cold:.3f} s | {warm:.3f} s | {alone:.3f} s | {rows} |")


if __name__ == "__main__":
    main()
