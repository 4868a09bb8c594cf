"""Updating from the `core/` layout (0.1.0, and the last commit before it) to the
`modulith` package: the release migration (hooks/migrations/modulith_package.py)
rewrites the team's imports, and every event publication in the database arrives in
the new table intact, on PostgreSQL. The team does exactly what the CHANGELOG says.
"""

import contextlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from copier.errors import TaskError

from tests.helpers import TEMPLATE_ROOT, project_env, run
from tests.test_update_prerelease import BEFORE_FIRST_RELEASE, adopt_the_api_changes
from tests.updating import (
    Generated,
    commit_all,
    conflict_leftovers,
    domain_snapshots,
    keep_both_sides,
    play_changelog_steps,
    play_team,
    project_checks_pass,
    update,
    uv,
)

pytestmark = pytest.mark.project

sys.path.insert(0, str(TEMPLATE_ROOT / "hooks" / "migrations"))
import modulith_package  # noqa: E402  (a script of hooks/, found through the path above)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COLUMNS = ("id", "event_name", "payload", "subscriber", "published_at", "completed_at",
           "failed_at", "enqueued_at", "attempts", "next_attempt_at", "last_error")  # fmt: skip


def publications() -> list[dict[str, object]]:
    """A pending, a failed and a completed publication, as the old tables hold them."""
    base = {"event_name": "orders.OrderCreated", "subscriber": "apps.notifications.handlers.x",
            "published_at": NOW, "enqueued_at": None, "next_attempt_at": NOW}  # fmt: skip
    return [
        {
            **base,
            "id": uuid.uuid4(),
            "payload": {"order_id": 1, "total": "12.50"},
            "completed_at": None,
            "failed_at": None,
            "attempts": 2,
            "last_error": "ConnectionError: broker down",
            "enqueued_at": NOW,
        },
        {
            **base,
            "id": uuid.uuid4(),
            "payload": {"order_id": 2, "notes": ["ü", None]},
            "completed_at": None,
            "failed_at": NOW + timedelta(minutes=5),
            "attempts": 8,
            "last_error": "ValueError: no such customer",
        },
        {
            **base,
            "id": uuid.uuid4(),
            "payload": {},
            "completed_at": NOW + timedelta(seconds=3),
            "failed_at": None,
            "attempts": 1,
            "last_error": "",
        },
    ]


def table_columns(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (table,),
        ).fetchall()
    return [row[0] for row in rows]


def insert(url: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Insert the rows with the columns the old table has; return them as stored."""
    present = [
        column for column in COLUMNS if column in table_columns(url, "core_eventpublication")
    ]
    stored = [{column: row[column] for column in present} for row in rows]
    with psycopg.connect(url) as connection:
        for row in stored:
            values = [json.dumps(value) if column == "payload" else value
                      for column, value in row.items()]  # fmt: skip
            connection.execute(
                f"INSERT INTO core_eventpublication ({', '.join(row)}) "
                f"VALUES ({', '.join(['%s'] * len(row))})",
                values,
            )
    return stored


def select(url: str, table: str, columns: list[str]) -> dict[object, dict[str, object]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


def manage(project: Path, url: str, *args: str) -> str:
    env = project_env(DATABASE_URL=url)
    return run(["uv", "run", "python", "manage.py", *args], cwd=project, env=env).stdout


@pytest.mark.parametrize("start", ["0.1.0", BEFORE_FIRST_RELEASE], ids=["0.1.0", "pre-release"])
def test_update_to_the_package_moves_every_publication_and_keeps_the_teams_code(
    history: tuple[Path, str],
    generated: Generated,
    tmp_path: Path,
    postgres_database: str,
    start: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    repo, working_tree = history
    project = generated(repo, tmp_path / "shop", start)
    uv(project, "sync", env=project_env(DATABASE_URL=postgres_database))
    manage(project, postgres_database, "migrate", "--no-input")
    stored = insert(postgres_database, publications())
    team = play_team(project)
    # The team's own code on the old names: a module, a test patching a dotted path.
    (project / "core" / "reports.py").write_text(
        '"""Reports the team added to core."""\n\n'
        "from core.events import publish  # noqa: F401\n"
        "from core.json import JSON  # noqa: F401\n"
        "from core.models import EventPublication, User\n\n\n"
        "def pending() -> int:\n"
        "    return EventPublication.objects.filter(completed_at=None).count() + 0 * len("
        "User.__name__)\n\n\n"
        'WORKER = "core.worker.enqueue"\n'
    )
    commit_all(project, "Reports on the old names")
    domains = domain_snapshots(project)

    # Conflicts are listed and fail the update: the team resolves them.
    with contextlib.suppress(TaskError):
        update(project, vcs_ref=working_tree)
    report = capfd.readouterr()
    for relative in conflict_leftovers(project):
        assert f"{relative}:" in report.err, f"{relative} has a conflict the update hid"
        keep_both_sides(project, relative)

    assert "Release migration to the modulith package" in report.out
    assert conflict_leftovers(project) == []
    assert team.missing_lines() == []
    services = (project / "apps" / "orders" / "services.py").read_text()
    assert "from modulith.events import publish" in services
    assert "core.events" not in services
    assert "core.worker" not in services
    reports = (project / "core" / "reports.py").read_text()
    assert "from modulith.events.models import EventPublication\n" in reports
    assert "from core.models import User\n" in reports
    assert "from modulith.json import JSON" in reports
    assert 'WORKER = "modulith.worker.enqueue"' in reports
    for _name, files in domains.items():  # nothing but the rewrites of old names
        for relative, text in files.items():
            expected = modulith_package.rewrite(text.decode())
            assert (project / relative).read_text() == expected, relative
    assert (project / "core/migrations/0002_eventpublication.py").is_file()
    assert not (project / "apps" / "notifications").exists()

    if start == BEFORE_FIRST_RELEASE:  # the CHANGELOG's steps for 0.1.0
        adopt_the_api_changes(project)
    since = None if start == BEFORE_FIRST_RELEASE else start  # then those of later ones
    env = project_env(DATABASE_URL=postgres_database)
    assert play_changelog_steps(project, since, env=env)

    moved = select(postgres_database, "modulith_events_eventpublication", list(stored[0]))
    assert moved == {row["id"]: row for row in stored}
    assert table_columns(postgres_database, "core_eventpublication") == []
    assert "No changes detected" in manage(project, postgres_database, "makemigrations",
                                           "--check", "--dry-run")  # fmt: skip
    project_checks_pass(project)
