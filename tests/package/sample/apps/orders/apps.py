from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"

    depends_on: tuple[str, ...] = ("inventory",)
    model_relations_to: tuple[str, ...] = ()
    strict = False
