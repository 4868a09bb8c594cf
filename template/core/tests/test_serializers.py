"""Rendering: fields built once per serializer class; a page of rows
(`QuerySet.values()`) as DRF renders the same model instances."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework import serializers

from core.models import User
from core.serializers import RowListSerializer, StrictModelSerializer, render_column

MOMENTS = [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(minutes=n) for n in range(50)]


@pytest.fixture(autouse=True)
def in_utc() -> Iterator[None]:
    """The dates below are written in UTC, whatever TIME_ZONE the project sets."""
    with timezone.override(UTC):
        yield


class UserSerializer(StrictModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "username", "last_login", "date_joined")
        list_serializer_class = RowListSerializer


@pytest.mark.django_db
def test_rows_are_rendered_as_their_model_instances_are() -> None:
    User.objects.create(username="never-logged-in")
    User.objects.create(username="logged-in", last_login=MOMENTS[0])
    rows = User.objects.order_by("id").values(*UserSerializer.Meta.fields)

    with mock.patch.object(UserSerializer, "to_representation", side_effect=AssertionError):
        rendered = UserSerializer(rows, many=True).data
    as_models = UserSerializer(User.objects.order_by("id"), many=True).data

    assert rendered == as_models
    # Dates go to the renderer as they are (DATETIME_FORMAT = None, core/renderers.py).
    assert [row["last_login"] for row in rendered] == [None, MOMENTS[0]]


@pytest.mark.django_db
def test_a_page_of_rows_is_rendered_without_copying_the_fields_again() -> None:
    User.objects.create(username="logged-in", last_login=MOMENTS[0])
    rows = User.objects.values(*UserSerializer.Meta.fields)
    first = UserSerializer(rows, many=True).data

    # The columns and their renderings are known from the first page: later pages of
    # rows whose values render as they are need no copy of the serializer's fields.
    with mock.patch.object(StrictModelSerializer, "get_fields", side_effect=AssertionError):
        again = UserSerializer(rows, many=True).data

    assert again == first
    assert list(again[0]) == list(UserSerializer.Meta.fields)


@pytest.mark.parametrize(
    "row",
    [
        {"date_joined": MOMENTS[1], "last_login": None, "username": "a", "id": 1},
        {"id": 1, "username": "a", "last_login": None, "date_joined": MOMENTS[1], "extra": 5},
    ],
)
def test_a_row_is_rendered_with_the_fields_only_and_in_their_order(row: dict[str, Any]) -> None:
    rows: Any = [row]
    rendered: Any = UserSerializer(rows, many=True).data

    assert rendered == [{key: row[key] for key in UserSerializer.Meta.fields}]
    assert list(rendered[0]) == list(UserSerializer.Meta.fields)


@pytest.mark.django_db
def test_a_page_follows_the_date_format_in_the_settings() -> None:
    User.objects.create(username="logged-in", last_login=MOMENTS[0])
    rows = User.objects.values(*UserSerializer.Meta.fields)
    UserSerializer(rows, many=True).data  # noqa: B018  (a page rendered with the defaults)

    with override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "iso-8601"}):
        rendered = UserSerializer(rows, many=True).data

    assert rendered[0]["last_login"] == "2026-01-02T03:04:05Z"


def test_fields_are_built_once_per_class_and_copied_for_each_serializer() -> None:
    class NamesSerializer(StrictModelSerializer[User]):
        class Meta:
            model = User
            fields = ("id", "username")

    build = serializers.ModelSerializer.get_fields
    with mock.patch.object(
        serializers.ModelSerializer, "get_fields", autospec=True, side_effect=build
    ) as built:
        first, second = NamesSerializer().fields, NamesSerializer().fields

    assert built.call_count == 1
    assert first["username"] is not second["username"]
    assert first["username"].parent is not second["username"].parent


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (serializers.CharField(), ["text", None, 5, 1.5]),
        (serializers.IntegerField(), [1, None, True, "7"]),
        (serializers.BigIntegerField(coerce_to_string=True), [1, None]),
        (serializers.FloatField(), [1.5, None, 2]),
        (serializers.BooleanField(), [True, False, None, "true"]),
        (serializers.DateTimeField(), [MOMENTS[0], None, "2026-01-02T03:04:05Z"]),
        (serializers.DateTimeField(format="%d/%m/%Y %H:%M"), [MOMENTS[0], None]),
    ],
)
def test_a_column_is_rendered_as_its_field_renders_each_value(
    field: serializers.Field[Any, Any, Any, Any], values: list[Any]
) -> None:
    expected = [None if value is None else field.to_representation(value) for value in values]

    assert render_column(field, values) == expected
    for count in range(1, len(values)):  # the values of one type alone, too
        part = values[:count]
        assert render_column(field, part) == expected[:count]
