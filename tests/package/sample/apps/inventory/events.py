from dataclasses import dataclass

from modulith.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StockChanged(DomainEvent):
    item_id: int
