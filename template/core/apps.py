from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.boundaries.checks import check_model_relations

        checks.register(check_model_relations, "boundaries")
