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


def log_in_for_a_token(username: str, password: str, address: str = "203.0.113.1") -> int:
    response = APIClient(REMOTE_ADDR=address).post(
        reverse("api-token"), {"username": username, "password": password}, format="json"
    )
    return response.status_code


def test_repeated_failures_lock_the_client_out_even_with_the_right_password(
    user: User, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    failures = [log_in_for_a_token(user.username, "wrong") for _ in range(3)]

    assert failures == [400, 400, 429], "the failure that reaches the limit locks out"
    assert log_in_for_a_token(user.username, PASSWORD) == 429


def test_a_lockout_is_logged_with_the_account_and_the_address(
    user: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AXES_FAILURE_LIMIT = 1
    log_in_for_a_token(user.username, "wrong")

    locked = [record for record in caplog.records if record.getMessage() == "login_locked_out"]
    assert [(r.username, r.client_ip) for r in locked] == [(user.username, "203.0.113.1")]  # type: ignore[attr-defined]


def test_a_locked_out_address_does_not_lock_the_account_out_elsewhere(
    user: User, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        log_in_for_a_token(user.username, "wrong", address="203.0.113.9")

    assert log_in_for_a_token(user.username, PASSWORD, address="198.51.100.4") == 200


def test_one_address_trying_many_accounts_is_locked_out(user: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("alice", "bob", "carol"):
        log_in_for_a_token(name, "wrong")

    assert log_in_for_a_token(user.username, PASSWORD) == 429


def test_the_admin_login_counts_towards_the_limit(user: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 1

    Client(REMOTE_ADDR="203.0.113.1").post(
        reverse("admin:login"), {"username": user.username, "password": "wrong"}
    )

    assert log_in_for_a_token(user.username, PASSWORD) == 429


def test_anonymous_clients_are_throttled() -> None:
    client = APIClient()
    url = reverse("api-token")

    # DRF reads the rates once, at import (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"}):
        statuses = [client.post(url, {}, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
