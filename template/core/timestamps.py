"""PostgreSQL's timestamps read by the standard library's ISO 8601 parser.

Django reads each `timestamp with time zone` through psycopg's parser written in
Python (a regular expression, seven `int()` calls and two datetime conversions),
because the loader it registers to set the time zone subclasses that one, not
psycopg's C loader: on a list page of 51 rows, 1.7 of the query's 3.1 million
instructions. PostgreSQL sends them in ISO 8601 (its default DateStyle), which
`datetime.fromisoformat` reads in C. With USE_TZ (Django's dates
in UTC) the result is the same aware UTC datetime; anything it does not read
(infinity, BC dates, five-digit years, another DateStyle) goes to Django's loader as
before. Without USE_TZ, or with a database TIME_ZONE, Django's loader is kept.
"""

from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import BaseTzLoader


class IsoTimestampLoader(BaseTzLoader):  # type: ignore[misc]
    # Django compares a connection's loader's zone with its own before each cursor.
    timezone = UTC

    def load(self, data: bytes | bytearray | memoryview) -> datetime:
        try:
            return datetime.fromisoformat(bytes(data).decode()).astimezone(UTC)
        except ValueError:
            loaded: datetime = super().load(data)
            return loaded


def use_iso_timestamp_loader(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On `connection_created`: a PostgreSQL connection in UTC takes the loader above."""
    if connection.vendor == "postgresql" and connection.timezone is UTC:
        connection.connection.adapters.register_loader("timestamptz", IsoTimestampLoader)
