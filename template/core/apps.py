from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connects the receivers that drop a cached API token when it stops being valid,
        # and the one that logs refused logins; registers the deployment checks.
        from core import auth, authentication, checks  # noqa: F401
        from core.timestamps import use_iso_timestamp_loader

        connection_created.connect(use_iso_timestamp_loader)
