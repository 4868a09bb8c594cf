"""The rehearsal: inventory's services called over a real HTTP server, as if remote.

The server is the sample project's own WSGI application (its DomainMiddleware answers
the rehearsal's calls) in a thread, on a connection of its own to the test database.
`stock_of` and its types are a service as a domain writes one (dataclasses, dates,
decimals, its own NotFoundError), added to inventory's services for these tests.
"""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.test import override_settings

from apps.inventory import services as inventory
from apps.inventory.models import Item
from apps.orders import services as orders
from modulith import calls
from modulith.rehearsal import REHEARSAL_PATH
from modulith.rehearsal.client import RemoteServiceError

pytestmark = pytest.mark.django_db(transaction=True)
SERVICES = "apps.inventory.services"
threads_served: list[str] = []


@dataclass(frozen=True, kw_only=True)
class Stock:
    item_id: int
    level: int
    price: Decimal
    counted_at: datetime


class ItemNotFoundError(LookupError):
    """Nothing has the requested id."""


def stock_of(item_id: int, *, as_of: datetime, price: Decimal = Decimal("1.50")) -> Stock:
    threads_served.append(threading.current_thread().name)
    item = Item.objects.filter(pk=item_id).first()
    if item is None:
        raise ItemNotFoundError(item_id, "no such item")
    return Stock(item_id=item.pk, level=item.stock, price=price, counted_at=as_of)


def crash() -> None:
    raise ZeroDivisionError("inventory's own bug")


for defined in (Stock, ItemNotFoundError, stock_of, crash):
    defined.__module__ = SERVICES


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def remote_inventory(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Inventory rehearsed, served on a port of its own; yields the server's URL."""
    monkeypatch.setattr(inventory, "ItemNotFoundError", ItemNotFoundError, raising=False)
    monkeypatch.setattr(inventory, "stock_of", calls.service("inventory", stock_of), raising=False)
    monkeypatch.setattr(inventory, "crash", calls.service("inventory", crash), raising=False)
    threads_served.clear()
    with override_settings(
        MIDDLEWARE=["modulith.middleware.DomainMiddleware"], MODULITH_REHEARSE=["inventory"]
    ):
        server: WSGIServer = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="inventory-server")
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            with override_settings(MODULITH_REHEARSAL_URL=url):
                yield url
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


def test_a_call_from_another_domain_crosses_http_with_its_types(remote_inventory: str) -> None:
    item = Item.objects.create(name="pen", stock=7)
    counted = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

    with calls.in_domain("orders"):
        stock = inventory.stock_of(item.pk, as_of=counted, price=Decimal("2.10"))

    assert stock == Stock(item_id=item.pk, level=7, price=Decimal("2.10"), counted_at=counted)
    assert type(stock.price) is Decimal
    assert stock.counted_at.tzinfo is not None
    assert threads_served
    assert threads_served[0] != threading.current_thread().name


def test_the_domains_own_error_is_raised_on_the_callers_side(remote_inventory: str) -> None:
    with calls.in_domain("orders"), pytest.raises(ItemNotFoundError) as raised:
        inventory.stock_of(404, as_of=datetime.now(UTC))

    assert raised.value.args == (404, "no such item")
    assert threads_served
    assert threads_served[0] != threading.current_thread().name


def test_any_other_error_is_a_remote_service_error(remote_inventory: str) -> None:
    with calls.in_domain("orders"), pytest.raises(RemoteServiceError, match="ZeroDivisionError"):
        inventory.crash()


def test_calls_within_the_domain_or_from_no_domain_stay_local(remote_inventory: str) -> None:
    item = Item.objects.create(name="pen", stock=3)

    inventory.stock_of(item.pk, as_of=datetime.now(UTC))
    with calls.in_domain("inventory"):
        inventory.stock_of(item.pk, as_of=datetime.now(UTC))

    assert threads_served == [threading.current_thread().name] * 2


def reserve_then_fail(item_id: int) -> None:
    """Orders' side: a reservation, then a failure, in one atomic block."""
    with transaction.atomic():
        inventory.reserve(item_id, 3)
        raise RuntimeError("the order fails after the reservation")


def test_the_callers_transaction_no_longer_undoes_the_call(remote_inventory: str) -> None:
    """What the extraction report predicts for orders.place_order: the reservation in
    its atomic block survives the order's failure once inventory is remote."""
    item = Item.objects.create(name="pen", stock=10)

    with calls.in_domain("orders"), pytest.raises(RuntimeError, match="the order fails"):
        reserve_then_fail(item.pk)

    assert Item.objects.get(pk=item.pk).stock == 7


def test_without_the_rehearsal_the_transaction_undoes_it() -> None:
    item = Item.objects.create(name="pen", stock=10)

    with calls.in_domain("orders"), pytest.raises(RuntimeError, match="the order fails"):
        reserve_then_fail(item.pk)

    assert Item.objects.get(pk=item.pk).stock == 10


def test_a_flow_of_the_sample_runs_rehearsed(remote_inventory: str) -> None:
    item = Item.objects.create(name="pen", stock=10)

    with calls.in_domain("orders"):
        orders.place_order(item_id=item.pk, quantity=2)

    assert Item.objects.get(pk=item.pk).stock == 8


def post(url: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_endpoint_refuses_unsigned_calls_and_unrehearsed_domains(remote_inventory: str) -> None:
    body = json.dumps({"caller": "orders", "arguments": {"item_id": 1, "quantity": 1}}).encode()
    forged = {"X-Modulith-Signature": "0" * 64}

    assert post(remote_inventory, f"{REHEARSAL_PATH}inventory/reserve", body, forged) == 403
    assert post(remote_inventory, f"{REHEARSAL_PATH}orders/place_order", body, forged) == 404
    assert post(remote_inventory, f"{REHEARSAL_PATH}inventory/_helper", body, forged) == 403
