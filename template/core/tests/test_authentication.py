"""API tokens: looked up once, refused as soon as they stop being valid."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import User

pytestmark = pytest.mark.django_db

# Any endpoint that needs a user: the schema answers 403 to one who is not staff.
URL = reverse("schema")


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def token_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 403
    return sum("authtoken_token" in query["sql"] for query in queries.captured_queries)


def test_a_token_is_read_from_the_database_once(user: User) -> None:
    client = token_client(user)

    assert [token_queries(client) for _ in range(3)] == [1, 0, 0]


def test_a_deleted_token_is_refused_at_once(user: User) -> None:
    client = token_client(user)
    client.get(URL)

    Token.objects.filter(user=user).delete()

    assert client.get(URL).status_code == 401


def test_a_deactivated_user_is_refused_at_once(user: User) -> None:
    client = token_client(user)
    client.get(URL)

    user.is_active = False
    user.save()

    assert client.get(URL).status_code == 401


def test_a_user_made_staff_is_seen_at_once(user: User) -> None:
    client = token_client(user)
    client.get(URL)

    user.is_staff = True
    user.save()

    assert client.get(URL).status_code == 200
