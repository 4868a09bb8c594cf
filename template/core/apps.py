from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connects the receivers that drop a cached API token when it stops being valid.
        from core import authentication  # noqa: F401
