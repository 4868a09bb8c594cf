"""A client's errors are answered 4xx in the API's error format and logged as one
warning, never as a 500 with a traceback."""

import logging
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import PASSWORD
from core.models import User

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def error_code(response: object) -> str:
    return str(response.json()["errors"][0]["code"])  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_forms_with_too_many_fields_or_files_are_answered_400(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    fields = urlencode({f"a{n}": "1" for n in range(1200)})
    files = {f"f{n}": SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(120)}

    answers = [
        client.post("/auth/token/", fields, content_type=FORM),
        client.post("/auth/token/", files),
    ]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert [error_code(answer) for answer in answers] == ["parse_error", "parse_error"]
    assert all(record.exc_info is None for record in caplog.records)
    assert all(record.levelno < logging.ERROR for record in caplog.records)


def test_a_host_the_site_does_not_serve_is_a_warning(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.get("/auth/token/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert [(record.levelno, record.exc_info) for record in caplog.records] == [
        (logging.WARNING, None),
        (logging.INFO, None),  # the request line
    ]


def test_a_body_over_the_limit_is_answered_413(client: Client) -> None:
    response = client.post("/auth/token/", b"{" + b" " * 3_000_000, content_type="application/json")

    assert response.status_code == 413
    assert error_code(response) == "request_too_large"


def test_a_path_no_route_matches_is_answered_in_the_api_format(client: Client) -> None:
    response = client.get("/api/no-such-domain/")

    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.django_db
def test_a_form_read_before_the_view_still_reaches_it(client: Client, user: User) -> None:
    """The body is read before the database is touched; DRF takes the parsed form."""
    form = client.post("/auth/token/", {"username": user.username, "password": PASSWORD})
    encoded = client.post(
        "/auth/token/", urlencode({"username": user.username, "password": PASSWORD}), FORM
    )

    assert (form.status_code, encoded.status_code) == (200, 200)
    assert form.json()["token"] == encoded.json()["token"]
