import importlib

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.module_loading import module_has_submodule

from modulith.domains import APPS_PACKAGE, discover_domains, project_root


class ModulithConfig(AppConfig):
    """The domains' machinery: boundary checks, the module map, events, the worker."""

    name = "modulith"
    verbose_name = "Modular monolith"

    def ready(self) -> None:
        from modulith.boundaries.checks import check_model_relations

        checks.register(check_model_relations, "boundaries")
        # Event subscriptions live in each domain's `handlers` module, like admin.py.
        for domain in discover_domains(project_root()):
            package = importlib.import_module(f"{APPS_PACKAGE}.{domain}")
            if module_has_submodule(package, "handlers"):
                importlib.import_module(f"{APPS_PACKAGE}.{domain}.handlers")
        if getattr(settings, "MODULITH_WORKER", "none") == "django-q2":
            from modulith.worker.django_q import schedule_event_sweep

            post_migrate.connect(schedule_event_sweep, dispatch_uid="schedule_event_sweep")
