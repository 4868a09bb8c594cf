from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    depends_on: tuple[str, ...] = ("orders",)
    model_relations_to: tuple[str, ...] = ("orders",)
    strict = False
