import importlib

from django.apps import AppConfig
from django.core import checks
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import worker  # noqa: F401  (connects the worker's start-up hooks)
        from core.boundaries.checks import check_model_relations
        from core.domains import DOMAINS

        checks.register(check_model_relations, "boundaries")
        # Event subscriptions live in each domain's `handlers` module, like admin.py.
        for domain in DOMAINS:
            package = importlib.import_module(f"apps.{domain}")
            if module_has_submodule(package, "handlers"):
                importlib.import_module(f"apps.{domain}.handlers")
