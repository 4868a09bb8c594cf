"""Fixtures shared by every domain's tests."""

import pytest
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.test import APIClient


@pytest.fixture
def user(django_user_model: type[AbstractBaseUser]) -> AbstractBaseUser:
    return django_user_model.objects.create_user(username="tester", password="unused-in-tests")


@pytest.fixture
def api_client(user: AbstractBaseUser) -> APIClient:
    """An API client logged in as an ordinary user."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client
