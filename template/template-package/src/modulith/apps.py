import importlib

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.module_loading import module_has_submodule

from modulith import calls, telemetry
from modulith.domains import APPS_PACKAGE, discover_domains, project_root

# Before any domain is imported (this app precedes them in INSTALLED_APPS): each
# domain's `services` is wrapped as it is first executed, for telemetry and rehearsal.
calls.install()


class ModulithConfig(AppConfig):
    """The domains' machinery: boundary checks, the module map, events, the worker."""

    name = "modulith"
    verbose_name = "Modular monolith"

    def ready(self) -> None:
        from modulith.boundaries.checks import check_model_relations

        checks.register(check_model_relations, "boundaries")
        if telemetry.requested():  # else no provider, exporter or instrumentation
            from modulith.telemetry.setup import configure

            configure()
        from modulith.rehearsal import follow_setting

        follow_setting()
        # Event subscriptions live in each domain's `handlers` module, like admin.py.
        for domain in discover_domains(project_root()):
            package = importlib.import_module(f"{APPS_PACKAGE}.{domain}")
            if module_has_submodule(package, "handlers"):
                importlib.import_module(f"{APPS_PACKAGE}.{domain}.handlers")
        if getattr(settings, "MODULITH_WORKER", "none") == "django-q2":
            from modulith.worker.django_q import schedule_event_sweep

            post_migrate.connect(schedule_event_sweep, dispatch_uid="schedule_event_sweep")
