from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from pytest_django import Settings

HEALTH_URL = "/health/"


@pytest.mark.django_db
def test_health_answers_ok_when_the_database_responds(client: Client) -> None:
    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_is_down(client: Client) -> None:
    with mock.patch("core.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get(HEALTH_URL)

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_health_refuses_writes(client: Client) -> None:
    assert client.post(HEALTH_URL).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", [HEALTH_URL, "/health/live/"])
def test_probes_may_ask_with_head_or_options(client: Client, path: str) -> None:
    head = client.head(path)

    assert head.status_code == 200
    assert head.content == b""
    assert client.options(path).status_code == 200


@pytest.mark.django_db
def test_health_answers_any_host_over_plain_http(client: Client, settings: Settings) -> None:
    """Container healthchecks and load balancers call by IP address, without TLS."""
    settings.ALLOWED_HOSTS = ["shop.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(HEALTH_URL, HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/api-schema/", HTTP_HOST="10.0.0.7:8000").status_code == 400
