"""Logging in: API tokens for programs, and the limit on failed logins."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from conftest import PASSWORD
from core.models import User

pytestmark = pytest.mark.django_db


def test_a_program_exchanges_a_password_for_a_token_once(user: User) -> None:
    first = APIClient().post(
        reverse("api-token"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    again = APIClient().post(
        reverse("api-token"), {"username": user.username, "password": PASSWORD}, format="json"
    )

    assert first.status_code == 200
    assert first.json()["token"] == again.json()["token"], "one token per user until deleted"


def test_a_wrong_password_gets_no_token(user: User) -> None:
    assert log_in_for_a_token(user.username, "wrong") == 400


def log_in_for_a_token(username: str, password: str) -> int:
    response = APIClient().post(
        reverse("api-token"), {"username": username, "password": password}, format="json"
    )
    return response.status_code


def test_repeated_failures_lock_the_client_out_even_with_the_right_password(
    user: User, settings: Settings
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    failures = [log_in_for_a_token(user.username, "wrong") for _ in range(3)]

    assert failures == [400, 400, 400]
    assert log_in_for_a_token(user.username, PASSWORD) == 400


def test_the_admin_login_counts_towards_the_limit(user: User, settings: Settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 1

    Client().post(reverse("admin:login"), {"username": user.username, "password": "wrong"})

    assert log_in_for_a_token(user.username, PASSWORD) == 400


def test_anonymous_clients_are_throttled() -> None:
    client = APIClient()
    url = reverse("api-token")

    # DRF reads the rates once, at import (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"}):
        statuses = [client.post(url, {}, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
