"""Release migration to the `modulith` package layout (template 0.2.0).

    modulith_package.py

Run by `copier update` in the project, after the team's changes are replayed (the
`after` stage). It acts only when the commit being updated has the old layout (the
machinery in `core/`, EventPublication a `core` model), and does nothing otherwise,
so it runs once whatever versions the update crosses:

1. Rewrites the team's imports and dotted strings of the moved modules in every
   tracked or new `.py` file outside `template-package/` (`core.events` becomes
   `modulith.events`, `core.events.registry` becomes `modulith.events.subscriptions`,
   `EventPublication` comes from `modulith.events.models`, ...).
2. Keeps core's applied migrations (0002/0003 created the old table) if the update
   deleted them, and writes the next core migration: it copies every row of
   `core_eventpublication` into `modulith_events_eventpublication`, then removes the
   old model and its table. `manage.py migrate` applies it.
3. Reports what it did, and what is left to the team.

It never fails the update for the team's code: what it cannot rewrite, it reports.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

MODULES = {  # old module -> new module, longest first
    "core.events.registry": "modulith.events.subscriptions",
    "core.management.commands.failed_events": "modulith.events.management.commands.failed_events",
    "core.management.commands.resubmit_events": (
        "modulith.events.management.commands.resubmit_events"
    ),
    "core.management.commands.check_boundaries": "modulith.management.commands.check_boundaries",
    "core.management.commands.domain_map": "modulith.management.commands.domain_map",
    "core.architecture": "modulith.architecture",
    "core.boundaries": "modulith.boundaries",
    "core.domains": "modulith.domains",
    "core.events": "modulith.events",
    "core.worker": "modulith.worker",
    "core.json": "modulith.json",
}
# Names that left a module that stays: old module -> {name: new module}.
MOVED_NAMES = {
    "core.models": {"EventPublication": "modulith.events.models"},
    "core.admin": {"EventPublicationAdmin": "modulith.events.admin"},
    "core": {name.split(".")[1]: "modulith" for name in MODULES if name.count(".") == 1},
}
OLD_MACHINERY = (
    "core/events/",
    "core/boundaries/",
    "core/architecture/",
    "core/domains.py",
    "core/json.py",
    "core/worker.py",
    "core/management/commands/check_boundaries.py",
    "core/management/commands/domain_map.py",
    "core/management/commands/failed_events.py",
    "core/management/commands/resubmit_events.py",
)
MODULE_PATTERN = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(old) for old in MODULES) + r")(?![\w])"
)
DOTTED_NAMES = {
    f"{module}.{name}": f"{new}.{name}"
    for module, names in MOVED_NAMES.items()
    if module != "core"
    for name, new in names.items()
}
NAME_PATTERN = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(old) for old in DOTTED_NAMES) + r")(?![\w])"
)
MIGRATION_NAME = "move_eventpublication_to_modulith_events"
CORE_MIGRATION = re.compile(r"""\(\s*["']core["']\s*,\s*["'](\w+)["']\s*\)""")


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def in_head(path: str) -> bool:
    return git("cat-file", "-e", f"HEAD:./{path}").returncode == 0


def head_files(folder: str) -> list[str]:
    """The files of the pre-update commit under `folder`, relative to the project."""
    listed = git("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", f"./{folder}").stdout
    return [path for path in listed.split("\0") if path]


def old_layout() -> bool:
    """The commit being updated keeps the machinery in core/ (read from git, not versions)."""
    if in_head("template-package/pyproject.toml"):
        return False
    if any(MIGRATION_NAME in path for path in head_files("core/migrations")):
        return False
    return in_head("core/events/__init__.py") or any(
        "EventPublication" in git("show", f"HEAD:./{path}").stdout
        for path in head_files("core/migrations")
    )


# 1. The team's code -------------------------------------------------------------------


def python_files() -> list[Path]:
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py")
    return [
        Path(path)
        for path in sorted(set(listed.stdout.split("\0")))
        if path and not path.startswith("template-package/") and Path(path).is_file()
    ]


def split_import(node: ast.ImportFrom, lines: list[str]) -> str | None:
    """`from core.models import User, EventPublication` as one import per module."""
    moved = MOVED_NAMES.get(node.module or "", {})
    if node.level or not any(alias.name in moved for alias in node.names):
        return None
    indent = re.match(r"\s*", lines[node.lineno - 1]).group()  # type: ignore[union-attr]
    groups: dict[str, list[str]] = {}
    for alias in node.names:
        module = moved.get(alias.name, node.module or "")
        name = alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"
        groups.setdefault(module, []).append(name)
    return "".join(
        f"{indent}from {module} import {', '.join(names)}\n" for module, names in groups.items()
    )


def rewrite(text: str) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    if tree is not None:
        lines = text.splitlines(keepends=True)
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        for node in sorted(imports, key=lambda node: node.lineno, reverse=True):
            replacement = split_import(node, lines)
            if replacement is not None and node.end_lineno is not None:
                lines[node.lineno - 1 : node.end_lineno] = [replacement]
        text = "".join(lines)
    text = NAME_PATTERN.sub(lambda match: DOTTED_NAMES[match.group(1)], text)
    return MODULE_PATTERN.sub(lambda match: MODULES[match.group(1)], text)


def rewrite_team_code() -> list[str]:
    rewritten = []
    for path in python_files():
        text = path.read_text()
        new = rewrite(text)
        if new != text:
            path.write_text(new)
            rewritten.append(str(path))
    return rewritten


# 2. The event publications ------------------------------------------------------------

MIGRATION = '''"""The durable event publications move to the modulith.events app (template 0.2.0).

Written by the template's release migration. Every row of core_eventpublication is
copied into modulith_events_eventpublication (same columns, same UUID keys), then
the old model and its table are removed. Reversible: rows are copied back.
"""

from django.db import migrations

OLD_TABLE, NEW_TABLE = "core_eventpublication", "modulith_events_eventpublication"


def copy_rows(source, target):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            if source not in tables or target not in tables:
                return
            columns = [
                {{
                    column.name
                    for column in connection.introspection.get_table_description(cursor, table)
                }}
                for table in (source, target)
            ]
            shared = sorted(columns[0] & columns[1])
            names = ", ".join(connection.ops.quote_name(name) for name in shared)
            cursor.execute(
                f"INSERT INTO {{connection.ops.quote_name(target)}} ({{names}}) "
                f"SELECT {{names}} FROM {{connection.ops.quote_name(source)}}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
{dependencies}
    ]

    operations = [
        migrations.RunPython(
            copy_rows(OLD_TABLE, NEW_TABLE), copy_rows(NEW_TABLE, OLD_TABLE), elidable=False
        ),
        migrations.DeleteModel(name="EventPublication"),
    ]
'''


def keep_applied_migrations() -> list[str]:
    """Put back core migrations the update deleted: applied migrations are history."""
    kept = []
    for path in head_files("core/migrations"):
        if path.endswith(".py") and not Path(path).exists():
            git("checkout", "HEAD", "--", f"./{path}")
            kept.append(path)
    return kept


def core_migrations() -> dict[str, set[str]]:
    """Each core migration and the core migrations it depends on."""
    return {
        path.stem: set(CORE_MIGRATION.findall(path.read_text()))
        for path in Path("core", "migrations").glob("[0-9]*.py")
    }


def write_move_migration() -> str | None:
    graph = core_migrations()
    if not any("EventPublication" in path.read_text()
               for path in Path("core", "migrations").glob("[0-9]*.py")):  # fmt: skip
        return None
    if any(MIGRATION_NAME in name for name in graph):
        return None
    leaves = sorted(set(graph) - set().union(*graph.values()))
    number = max(int(name.split("_")[0]) for name in graph) + 1
    dependencies = [f'        ("core", "{leaf}"),' for leaf in leaves]
    dependencies.append('        ("modulith_events", "0001_initial"),')
    path = Path("core", "migrations", f"{number:04d}_{MIGRATION_NAME}.py")
    path.write_text(MIGRATION.format(dependencies="\n".join(dependencies)))
    return str(path)


# 3. The report ------------------------------------------------------------------------


def kept_machinery() -> list[str]:
    """Old machinery files still in the project (kept because the team edited them)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "core")
    return [
        path
        for path in listed.stdout.split("\0")
        if path and path.startswith(OLD_MACHINERY) and Path(path).is_file()
    ]


def main() -> int:
    if not old_layout():
        return 0
    rewritten = rewrite_team_code()
    restored = keep_applied_migrations()
    migration = write_move_migration()
    print("\nRelease migration to the modulith package (template-package/):")
    for path in rewritten:
        print(f"  - {path}: imports of core's machinery now name modulith.")
    if rewritten:
        print(
            "    modulith is a package of its own: sort these imports with "
            "`uv run ruff check --select I --fix .`"
        )
    for path in restored:
        print(f"  - {path}: kept; applied migrations are history.")
    if migration:
        print(
            f"  - {migration}: moves every event publication to modulith.events; "
            "run `python manage.py migrate`."
        )
    left = kept_machinery()
    if left:
        print("\nLeft to you: these old files of core/ held your edits, so they were kept.")
        print("Their code now lives in template-package/src/modulith/ (core.X is modulith.X);")
        print("move your changes there or into your own modules, then delete them:")
        for path in left:
            print(f"  - {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
