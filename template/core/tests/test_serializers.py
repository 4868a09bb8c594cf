"""Rendering: dates in the request's time zone, looked up once per field; a page of
rows (`QuerySet.values()`) as DRF renders the same model instances."""

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import User
from core.serializers import DateTimeField, RowListSerializer, StrictModelSerializer

MOMENTS = [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(minutes=n) for n in range(50)]


def test_dates_are_rendered_in_the_current_time_zone() -> None:
    with timezone.override(ZoneInfo("Europe/Paris")):
        rendered = DateTimeField().to_representation(MOMENTS[0])

    assert rendered == "2026-01-02T04:04:05+01:00"
    assert DateTimeField().to_representation(MOMENTS[0]) == "2026-01-02T03:04:05Z"


def test_a_field_looks_up_the_time_zone_once_for_all_its_values() -> None:
    field = DateTimeField()
    with mock.patch(
        "rest_framework.fields.timezone.get_current_timezone", wraps=timezone.get_current_timezone
    ) as lookup:
        rendered = [field.to_representation(moment) for moment in MOMENTS]

    assert lookup.call_count == 1
    assert rendered[-1] == "2026-01-02T03:53:05Z"


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
    assert [row["last_login"] for row in rendered] == [None, "2026-01-02T03:04:05Z"]
