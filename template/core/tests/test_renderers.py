"""The API's JSON: what DRF's JSONRenderer writes, written by orjson, dates included."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.renderers import ContentNegotiation, JSONRenderer

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        {"results": [{"id": 1, "name": "Order 1", "created_at": MOMENT}], "next": None},
        {"with_microseconds": MOMENT.replace(microsecond=120)},
        {"zoneinfo_utc": MOMENT.astimezone(ZoneInfo("UTC"))},
        {"london_in_winter": MOMENT.astimezone(ZoneInfo("Europe/London"))},
        {"naive": MOMENT.replace(tzinfo=None), 7: "a key that is no text"},
        {"separators": "a\u2028b\u2029c"},
        {"elsewhere": MOMENT.astimezone(ZoneInfo("Asia/Kolkata"))},
        {"day": date(2026, 1, 2), "price": Decimal("1.50"), "id": UUID(int=7)},
        {"lazy": gettext_lazy("This field is required."), "text": 'naïve ☃ "quoted"'},
        [1, 2.5, True, None, "x"],
    ],
)
def test_it_writes_what_drfs_renderer_writes(data: Any) -> None:
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_no_data_is_an_empty_body() -> None:
    assert JSONRenderer().render(None) == b""


def test_indented_output_is_drfs() -> None:
    data = {"a": [1, {"b": MOMENT}]}
    context = {"indent": 4}

    assert JSONRenderer().render(data, renderer_context=context) == (
        DRFJSONRenderer().render(data, renderer_context=context)
    )


def test_what_json_cannot_hold_is_refused_as_drf_refuses_it() -> None:
    with pytest.raises(TypeError):
        JSONRenderer().render({"unknown": object()})
    assert JSONRenderer().render({"duration": timedelta(seconds=90)}) == b'{"duration":"90.0"}'


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("*/*", "format=api"),
        ("text/html", ""),
        ("application/json; indent=4", ""),
        ("text/html,application/xhtml+xml,*/*;q=0.8", ""),
    ],
)
@pytest.mark.parametrize("suffix", [None, "json"])
def test_the_renderer_chosen_is_drfs_choice(
    accept: str | None, query: str, suffix: str | None
) -> None:
    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/orders/?{query}", **headers))
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]

    def choice(negotiation: DefaultContentNegotiation) -> object:
        try:
            return negotiation.select_renderer(request, renderers, suffix)
        except NotAcceptable:
            return NotAcceptable

    assert choice(ContentNegotiation()) == choice(DefaultContentNegotiation())


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_a_client_accepting_anything_gets_the_first_renderer_without_ranking(
    accept: str | None,
) -> None:
    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/orders/", **headers))
    renderer = JSONRenderer()

    with mock.patch.object(
        DefaultContentNegotiation, "select_renderer", side_effect=AssertionError
    ):
        chosen = ContentNegotiation().select_renderer(request, [renderer, BrowsableAPIRenderer()])

    assert chosen == (renderer, "application/json")
