"""Fixtures shared by every domain's tests."""

import pytest
from rest_framework.test import APIClient

from core.models import User


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(username="tester", password="unused-in-tests")


@pytest.fixture
def api_client(user: User) -> APIClient:
    """An API client logged in as an ordinary user."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client
