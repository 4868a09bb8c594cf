"""Migration to 0.2.0: domain discovery moved from `config/domains.py` to `core/domains.py`.

The template's own files follow by themselves; this rewrites the project's code that
imported the old module. Idempotent: a second run finds nothing left to rewrite.
"""

import re
from pathlib import Path

OLD_IMPORT = re.compile(r"\bconfig\.domains\b")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "migrations"}


def project_python_files(root: Path) -> list[Path]:
    return [
        path for path in root.rglob("*.py") if SKIPPED_DIRS.isdisjoint(path.relative_to(root).parts)
    ]


def main() -> None:
    for path in project_python_files(Path.cwd()):
        text = path.read_text()
        if OLD_IMPORT.search(text):
            path.write_text(OLD_IMPORT.sub("core.domains", text))
            print(f"Migrated {path}: config.domains -> core.domains")


if __name__ == "__main__":
    main()
