from apps.inventory.models import Item


def reserve(item_id: int, quantity: int) -> None:
    Item.objects.filter(pk=item_id).update(stock=models_stock(item_id) - quantity)


def models_stock(item_id: int) -> int:
    item = Item.objects.filter(pk=item_id).first()
    return item.stock if item else 0
