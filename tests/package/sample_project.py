"""A writable copy of the sample project (tests/package/sample), for tests that change it."""

import re
import shutil
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "sample"


class SampleProject:
    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def append(self, relative: str, text: str) -> int:
        """Append `text`; return the line number its first line lands on."""
        path = self.root / relative
        existing = path.read_text()
        path.write_text(existing + text)
        return existing.count("\n") + 1

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def declare(self, domain: str, setting: str, *targets: str) -> None:
        """Replace the domain's declaration of `setting` with exactly `targets`."""
        apps_py = self.root / "apps" / domain / "apps.py"
        declaration = re.compile(rf"^    {setting}: tuple\[str, \.\.\.\] = \(.*\)$", re.M)
        assert declaration.search(apps_py.read_text())
        value = f"({''.join(f'{target!r}, ' for target in targets)})"
        apps_py.write_text(
            declaration.sub(f"    {setting}: tuple[str, ...] = {value}", apps_py.read_text())
        )
