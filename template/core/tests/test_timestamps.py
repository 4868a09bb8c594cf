"""PostgreSQL's timestamps: read by `datetime.fromisoformat`, to the same datetimes as
Django's own loader, which still reads what that parser does not."""

from datetime import UTC

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import DataError, postgres
from psycopg.pq import Format

from core.timestamps import IsoTimestampLoader

OID = postgres.types["timestamptz"].oid


class DjangosLoader(BaseTzLoader):  # type: ignore[misc]
    """What Django registers for a connection in UTC."""

    timezone = UTC


@pytest.mark.parametrize(
    "text",
    [
        b"2026-01-02 03:04:05.123456+00",
        b"2026-01-02 03:04:05.12+00",
        b"2026-01-02 03:04:05+00",
        b"2026-01-02 03:04:05+05:30",
        b"2026-01-02 03:04:05-03:00:10",
        b"0099-01-02 03:04:05+00",
        b"9999-12-31 23:59:59.999999+00",
    ],
)
def test_timestamps_are_read_as_django_reads_them(text: bytes) -> None:
    loaded = IsoTimestampLoader(OID).load(text)

    assert loaded == DjangosLoader(OID).load(text)
    assert loaded.tzinfo is UTC


@pytest.mark.parametrize(
    "text", [b"infinity", b"2026-01-02 03:04:05+00 BC", b"12026-01-02 03:04:05+00"]
)
def test_what_fromisoformat_does_not_read_is_left_to_djangos_loader(text: bytes) -> None:
    with pytest.raises(DataError) as django_error:
        DjangosLoader(OID).load(text)
    with pytest.raises(DataError) as error:
        IsoTimestampLoader(OID).load(text)

    assert str(error.value) == str(django_error.value)


@pytest.mark.django_db
def test_postgresql_connections_take_the_loader_and_others_are_left_alone() -> None:
    connection.ensure_connection()
    adapters = getattr(connection.connection, "adapters", None)  # psycopg's; SQLite has none

    taken = adapters is not None and adapters.get_loader(OID, Format.TEXT) is IsoTimestampLoader

    assert taken == (connection.vendor == "postgresql")
