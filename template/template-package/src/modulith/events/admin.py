from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from modulith.events.delivery import pending, resubmit_due, retry_failed
from modulith.events.models import EventPublication


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[EventPublication]
    ) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("failed", "Failed"), ("complete", "Complete")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[EventPublication]
    ) -> QuerySet[EventPublication]:
        if self.value() == "pending":
            return queryset.filter(pending())
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        if self.value() == "complete":
            return queryset.filter(completed_at__isnull=False)
        return queryset


@admin.register(EventPublication)
class EventPublicationAdmin(admin.ModelAdmin[EventPublication]):
    """Durable event deliveries: find failed ones, retry them, or delete (purge) them."""

    list_display = ("event_name", "subscriber", "state", "attempts", "published_at", "last_error")
    list_filter = (StateFilter, "event_name")
    search_fields = ("event_name", "subscriber", "last_error")
    date_hierarchy = "published_at"
    actions = ("retry",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Retry the selected failed publications")
    def retry(self, request: HttpRequest, queryset: QuerySet[EventPublication]) -> None:
        retried = retry_failed(queryset)
        resubmit_due()
        self.message_user(request, f"Queued {retried} failed publication(s).", messages.SUCCESS)
