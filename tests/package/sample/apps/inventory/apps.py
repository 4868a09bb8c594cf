from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "apps.inventory"
    label = "inventory"

    depends_on: tuple[str, ...] = ()
    model_relations_to: tuple[str, ...] = ()
    strict = False
