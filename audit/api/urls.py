from django.urls import path

from audit.api.views import AuditEventListView, AuditVerifyView

urlpatterns = [
    path("audit/events/", AuditEventListView.as_view(), name="api-audit-events"),
    path("audit/verify/", AuditVerifyView.as_view(), name="api-audit-verify"),
]
