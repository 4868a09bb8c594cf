"""A database outage outside DRF's views (the session, the user, the admin's pages) is
answered 503 with Retry-After, logged in one line; a bug is still a 500."""

import json as json_module
import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

LOAD_SESSION = "django.contrib.sessions.backends.db.SessionStore.load"


@pytest.fixture
def client_with_session() -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32
    return client


@pytest.mark.parametrize(
    ("path", "json"), [("/admin/", False), ("/admin/login/", False), ("/auth/token/", True)]
)
def test_a_session_the_database_cannot_load_answers_503(
    client_with_session: Client, caplog: pytest.LogCaptureFixture, path: str, json: bool
) -> None:
    with mock.patch(LOAD_SESSION, side_effect=OperationalError("connection timeout expired")):
        response = client_with_session.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if json:
        error = json_module.loads(response.content)["errors"][0]
        assert error["code"] == "service_unavailable"
    else:
        assert response["Content-Type"].startswith("text/html")
    assert "sessionid" not in response.cookies, "an outage logs nobody out"
    assert all(record.exc_info is None for record in caplog.records)


def test_a_bug_loading_the_session_is_still_a_500(client_with_session: Client) -> None:
    with mock.patch(LOAD_SESSION, side_effect=ValueError("a bug")):
        assert client_with_session.get("/admin/").status_code == 500


@pytest.mark.django_db
def test_the_request_line_names_no_user_it_would_have_to_load(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client()
    client.cookies["sessionid"] = "a" * 32
    with caplog.at_level(logging.INFO, logger="request"), mock.patch(LOAD_SESSION) as load:
        client.get("/health/live/")
        client.get("/no-such-page/")

    load.assert_not_called()
    routes = [record.route for record in caplog.records if record.name == "request"]  # type: ignore[attr-defined]
    assert routes == ["/health/live/", "(unmatched)"], "a bounded set of routes"
