"""The OpenAPI schema and Swagger UI: staff only unless DJANGO_API_DOCS_PUBLIC says so."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_for_staff_only(api_client: APIClient, admin_client: Client) -> None:
    assert APIClient().get(reverse("schema")).status_code == 401
    assert api_client.get(reverse("schema")).status_code == 403, "an ordinary user"
    assert admin_client.get(reverse("schema")).status_code == 200


def test_swagger_ui_is_for_staff_only(admin_client: Client) -> None:
    assert Client().get(reverse("api-docs")).status_code == 401
    assert admin_client.get(reverse("api-docs")).status_code == 200
