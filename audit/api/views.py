from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.access import reader_permission_class
from audit.api.filters import AuditEventFilter
from audit.api.serializers import AuditEventSerializer, ChainVerificationSerializer
from audit.selectors import chain_verification_for, events_visible_to


class AuditReaderMixin:
    """Authenticated users passing ``settings.AUDIT_READER_PERMISSION`` (oversight by default)."""

    def get_permissions(self):
        return [IsAuthenticated(), reader_permission_class()()]


class EventCursorPagination(CursorPagination):
    ordering = "sequence"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class AuditEventListView(AuditReaderMixin, generics.ListAPIView):
    """The audit trail, oldest first, cursor-paginated and filterable."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = EventCursorPagination

    def get_queryset(self):
        return events_visible_to(user=self.request.user)


class AuditVerifyView(AuditReaderMixin, APIView):
    """Recompute the whole chain: ``{"ok", "events", "head"}`` plus ``first_broken`` when not ok."""

    @extend_schema(responses=ChainVerificationSerializer)
    def get(self, request):
        return Response(chain_verification_for(user=request.user).as_dict())
