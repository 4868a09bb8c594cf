from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Durable domain events: the publication registry, its admin and commands."""

    name = "modulith.events"
    label = "modulith_events"
    verbose_name = "Domain events"
