"""Dates are rendered in the request's time zone, which is looked up once per field."""

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.serializers import DateTimeField

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
