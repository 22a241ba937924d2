from django.contrib import admin

from .models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """Read-only: what is waiting for the broker, and why the last attempt failed."""

    list_display = ["name", "task_id", "created_at", "attempts", "last_error"]
    list_filter = ["name"]
    ordering = ["pk"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
