from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_health_answers_ok_when_the_database_responds(client: Client) -> None:
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_is_down(client: Client) -> None:
    with mock.patch("core.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_health_refuses_writes(client: Client) -> None:
    assert client.post(reverse("health")).status_code == 405
