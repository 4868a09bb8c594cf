"""The event publication registry: one row per durable delivery owed."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class EventPublication(models.Model):
    """One durable delivery of a domain event to one subscriber (see modulith.events).

    Pending until `completed_at` is set; `failed_at` once EVENTS_MAX_ATTEMPTS ran out.
    `enqueued_at` is the claim of the one delivery queued for it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_name = models.CharField(max_length=255)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    subscriber = models.CharField(max_length=255)
    published_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = (
            # What the sweep reads: pending rows by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(completed_at__isnull=True, failed_at__isnull=True),
                name="modulith_event_due",
            ),
            # What pruning reads: completed rows by age.
            models.Index(
                fields=["completed_at"],
                condition=models.Q(completed_at__isnull=False),
                name="modulith_event_done",
            ),
        )

    def __str__(self) -> str:
        return f"{self.event_name} -> {self.subscriber} ({self.state})"

    @property
    def state(self) -> str:
        if self.completed_at:
            return "complete"
        if self.failed_at:
            return f"failed after {self.attempts} attempts"
        return f"pending after {self.attempts} attempts"
