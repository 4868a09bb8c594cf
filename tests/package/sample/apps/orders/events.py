from dataclasses import dataclass

from modulith.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    order_id: int
    note: str = ""
