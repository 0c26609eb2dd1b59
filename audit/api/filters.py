import django_filters
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", help_text=_("Exact action, e.g. framework.open."))
    target_type = django_filters.CharFilter(field_name="target_type", help_text=_("app_label.model, exact."))
    target_id = django_filters.CharFilter(field_name="target_id")
    actor = django_filters.CharFilter(field_name="actor_name", help_text=_("Username of the actor, exact."))
    organization = django_filters.NumberFilter(
        field_name="organization_id_snapshot", help_text=_("Id of the actor's organization.")
    )
    occurred_after = django_filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", help_text=_("ISO 8601; events at or after this time.")
    )
    occurred_before = django_filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", help_text=_("ISO 8601; events strictly before this time.")
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
