from apps.inventory import services as inventory
from apps.orders.events import OrderPlaced
from apps.orders.models import Order
from modulith.events import publish
from django.db import transaction


def place_order(*, item_id: int, quantity: int = 1) -> int:
    with transaction.atomic():
        for _ in range(quantity):
            inventory.reserve(item_id, 1)
        order = Order.objects.create(item_id=item_id, quantity=quantity)
        publish(OrderPlaced(order_id=order.pk))
    return order.pk


def _helper() -> None: ...
