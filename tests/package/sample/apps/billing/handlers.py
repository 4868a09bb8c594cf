from apps.orders.events import OrderPlaced
from modulith.events import subscriber

CHARGED: list[int] = []


@subscriber(OrderPlaced, durable=True)
def charge(event: OrderPlaced) -> None:
    CHARGED.append(event.order_id)
