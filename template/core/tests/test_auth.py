"""Logging in: API tokens for programs, and the limit on failed logins."""

from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.core import signing
from django.test import Client
from django.urls import reverse
from pytest_django import Settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from conftest import PASSWORD
from core.auth import DEVICE_COOKIE
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


def log_in_for_a_token(
    username: str, password: str, address: str = "203.0.113.1", client: Client | None = None
) -> int:
    """POST /auth/token/ from `address`: as a new client, unless one is given."""
    data = {"username": username, "password": password}
    response = (client or Client()).post(
        reverse("api-token"), data, content_type="application/json", REMOTE_ADDR=address
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


def test_the_admin_logs_its_lockouts_as_the_api_does(
    user: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AXES_FAILURE_LIMIT = 1
    admin = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):  # the failure that reaches the limit, then a refused login
        admin.post(reverse("admin:login"), {"username": user.username, "password": "wrong"})

    locked = [record for record in caplog.records if record.getMessage() == "login_locked_out"]
    assert [(r.username, r.client_ip, r.limit) for r in locked] == [  # type: ignore[attr-defined]
        (user.username, "203.0.113.7", "address")
    ] * 2


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


def guess_from_many_addresses(username: str, count: int) -> list[int]:
    return [log_in_for_a_token(username, "wrong", f"198.51.100.{n}") for n in range(count)]


def test_guesses_at_one_account_from_many_addresses_stop_at_the_account_limit(
    user: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 4
    with mock.patch.object(User, "check_password", autospec=True, return_value=False) as check:
        statuses = guess_from_many_addresses(user.username, 6)

    assert statuses == [400, 400, 400, 400, 429, 429]
    assert check.call_count == 4, "a refused guess is not hashed"
    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.50") == 429, "a new client"
    locked = [record for record in caplog.records if record.getMessage() == "login_locked_out"]
    assert [r.limit for r in locked] == ["account"] * 3, "one line per refused login"  # type: ignore[attr-defined]


def owners_device(user: User, way: str) -> Client:
    """A client that logged in to the user's account with its password: at the admin's
    form, or at the token endpoint."""
    client = Client(REMOTE_ADDR="192.0.2.10")
    if way == "admin":
        user.is_staff = True
        user.save()
        client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD})
    else:
        client.post(reverse("api-token"), {"username": user.username, "password": PASSWORD})
    return client


@pytest.mark.parametrize("way", ["admin", "token"])
def test_the_owners_device_logs_in_from_elsewhere_while_the_account_is_locked(
    user: User, settings: Settings, way: str
) -> None:
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    settings.SESSION_COOKIE_SECURE = True  # as in production
    owner = owners_device(user, way)
    guess_from_many_addresses(user.username, 3)

    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.77") == 429
    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.77", owner) == 200
    cookie = owner.cookies[DEVICE_COOKIE]
    assert (cookie["httponly"], cookie["secure"], cookie["samesite"]) == (True, True, "Lax")
    assert cookie["max-age"] == settings.LOGIN_DEVICE_COOKIE_AGE


def forged_cookie(user: User) -> dict[str, str]:
    """Device cookies that must not be trusted for the user's account."""
    genuine = owners_device(user, "token").cookies[DEVICE_COOKIE].value
    other = User.objects.create_user(username="other", password=PASSWORD)
    return {
        "unsigned": user.username,
        "tampered": genuine[:-1] + ("A" if genuine[-1] != "A" else "B"),
        "another key": signing.TimestampSigner(key="another-key").sign(user.username),
        "another salt": signing.get_cookie_signer(DEVICE_COOKIE).sign(user.username),
        "another account": owners_device(other, "token").cookies[DEVICE_COOKIE].value,
    }


@pytest.mark.parametrize(
    "kind", ["unsigned", "tampered", "another key", "another salt", "another account"]
)
def test_a_forged_device_cookie_is_not_trusted(user: User, settings: Settings, kind: str) -> None:
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    client = Client()
    client.cookies[DEVICE_COOKIE] = forged_cookie(user)[kind]
    guess_from_many_addresses(user.username, 3)

    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.77", client) == 429


def test_the_owners_device_is_held_to_the_limits_of_its_address(
    user: User, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    owner = owners_device(user, "token")
    for _ in range(3):
        log_in_for_a_token(user.username, "wrong", "192.0.2.10", owner)

    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.10", owner) == 429


def test_anonymous_clients_are_throttled() -> None:
    client = APIClient()
    url = reverse("api-token")

    # DRF reads the rates once, at import (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"}):
        statuses = [client.post(url, {}, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_a_new_password_revokes_the_device_cookie(user: User, settings: Settings) -> None:
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    owner = owners_device(user, "token")
    user.set_password("a-new-password-1")
    user.save()
    guess_from_many_addresses(user.username, 3)

    assert log_in_for_a_token(user.username, "a-new-password-1", "192.0.2.77", owner) == 429


def test_variants_of_a_name_share_its_counts(user: User, settings: Settings) -> None:
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    variants = [user.username.upper(), user.username.title(), user.username]
    for n, name in enumerate(variants):
        log_in_for_a_token(name, "wrong", f"198.51.100.{n}")

    assert log_in_for_a_token(user.username, PASSWORD, "192.0.2.50") == 429


def test_a_login_clears_its_own_failures_not_the_addresss_guesses_at_others(
    user: User, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user(username="mallory", password=PASSWORD)
    steps = [(user.username, "wrong"), (user.username, "wrong"), ("mallory", PASSWORD)]
    statuses = [log_in_for_a_token(name, password) for name, password in steps]
    statuses.append(log_in_for_a_token(user.username, "wrong"))

    assert statuses == [400, 400, 200, 429], "mallory's login leaves the guesses counted"


def test_a_token_login_clears_the_accounts_own_failures(user: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    passwords = ["typo", "typo", PASSWORD, "typo", "typo"]

    assert [log_in_for_a_token(user.username, p) for p in passwords] == [400, 400, 200, 400, 400]


def test_a_name_longer_than_any_account_is_refused_before_the_limits() -> None:
    assert log_in_for_a_token("x" * 300, "wrong") == 400
    assert not AccessAttempt.objects.exists()


def test_a_locked_out_client_is_told_when_to_retry(user: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 1
    log_in_for_a_token(user.username, "wrong")

    answer = APIClient(REMOTE_ADDR="203.0.113.1").post(
        reverse("api-token"), {"username": user.username, "password": PASSWORD}, format="json"
    )

    assert answer.status_code == 429
    assert int(answer["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_logins_refused_during_a_lockout_are_not_recorded(user: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    statuses = [log_in_for_a_token(user.username, "wrong") for _ in range(5)]

    assert statuses == [400, 429, 429, 429, 429]
    assert [a.failures_since_start for a in AccessAttempt.objects.all()] == [2]
