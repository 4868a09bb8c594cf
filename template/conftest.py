"""Fixtures shared by every domain's tests.

API clients authenticate as real clients do, through the configured authentication
classes: a token in the Authorization header, or a session cookie.
"""

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import User

PASSWORD = "correct-horse-battery-staple"  # noqa: S105


@pytest.fixture(autouse=True)
def no_client_history() -> None:
    """Each test starts with no request count for the test client's address (kept in
    the cache, which may be a shared Redis: not cleared). Failed logins are counted in
    the test database, which starts empty."""
    cache.delete_many(["throttle_anon_127.0.0.1"])


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(username="tester", password=PASSWORD)


@pytest.fixture
def api_client(user: User) -> APIClient:
    """An API client sending an ordinary user's token, as programs do."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def browser_client(user: User) -> APIClient:
    """An API client logged in with a session cookie, as the browser and Swagger UI are."""
    client = APIClient(enforce_csrf_checks=True)
    # The login form's path, with the request django-axes needs to count by address.
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    if not client.login(request=request, username=user.username, password=PASSWORD):
        raise AssertionError("the test user could not log in")
    return client
