from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: events are appended by ``audit_record`` only, and never changed or removed."""

    list_display = [
        "sequence",
        "occurred_at",
        "actor_name",
        "organization_name",
        "action",
        "target_type",
        "target_id",
        "short_hash",
    ]
    list_filter = ["action", "target_type", "occurred_at"]
    search_fields = ["actor_name", "organization_name", "action", "target_id", "hash", "prev_hash"]
    date_hierarchy = "occurred_at"
    ordering = ["-sequence"]
    list_per_page = 50
    show_full_result_count = False
    actions = None

    @admin.display(description=_("hash"))
    def short_hash(self, event: AuditEvent) -> str:
        return f"{event.hash[:12]}…"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
