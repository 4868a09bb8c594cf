"""pytest, while a domain is rehearsed (MODULITH_REHEARSE): the project on a live server.

Loaded by pytest in every project that has this package (an entry point); it does
nothing unless MODULITH_REHEARSE names a domain. Then each database test becomes
transactional (the live server's thread reads and writes on a connection of its own,
so each side must see what the other committed) and sends the rehearsed calls to
pytest-django's `live_server`. An in-memory SQLite database would be one connection
shared by both sides, hiding what the rehearsal is for: use PostgreSQL.
"""

from collections.abc import Iterator

import pytest


def rehearsing() -> bool:
    from django.conf import settings

    return settings.configured and bool(getattr(settings, "MODULITH_REHEARSE", ()))


def uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or "db" in getattr(
        item, "fixturenames", ()
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not rehearsing():
        return
    for item in items:
        if uses_database(item):
            marker = item.get_closest_marker("django_db")
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True}
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(autouse=True)
def _rehearsal_server(request: pytest.FixtureRequest) -> Iterator[None]:
    if not rehearsing() or not uses_database(request.node):
        yield
        return
    from django.db import connection
    from django.test import override_settings

    request.getfixturevalue("django_db_setup")  # the test database's own settings
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.fail("A rehearsal needs a database of its own connections: set DATABASE_URL "
                    "to PostgreSQL", pytrace=False)  # fmt: skip
    live_server = request.getfixturevalue("live_server")
    with override_settings(MODULITH_REHEARSAL_URL=live_server.url):
        yield
