"""API of the buyer's selection: requirements, saved searches, freeze, export, comparison, award.

Each write reads its body with ``marketplace.selection.inputs`` and calls one service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.selectors import is_oversight
from common.errors import Conflict, ValidationFailed
from common.parsing import read_row_id
from marketplace.selection import selectors
from marketplace.selection.api.serializers import (
    AwardCreateSerializer,
    AwardSerializer,
    NoAwardSerializer,
    RequirementListSerializer,
    RequirementSerializer,
    RequirementUpdateSerializer,
    RequirementWriteSerializer,
    SavedSearchSerializer,
    SearchBriefSerializer,
    SearchCreateSerializer,
    SearchUpdateSerializer,
    comparison_data,
)
from marketplace.selection.export import comparison_file, listing_link, snapshot_file
from marketplace.selection.inputs import (
    read_direct_award,
    read_name,
    read_new_requirement,
    read_query,
    read_reason,
    read_requirement,
)
from marketplace.selection.models import SavedSearch
from marketplace.selection.services.awards import award_direct, award_none
from marketplace.selection.services.requirements import requirement_create, requirement_details, requirement_update
from marketplace.selection.services.searches import search_export_record, search_freeze, search_save, search_update

EXPORT_FORMATS = ("csv", "xlsx")
# The API's names of a requirement's details, and the input's.
REQUIREMENT_FIELDS = {"title": "title", "framework": "framework_id", "lot": "lot_id", "category": "category_id",
                      "description": "description", "budget": "budget", "period_start": "period_start",
                      "period_end": "period_end"}


def _body(request) -> Mapping:
    """The request's JSON object; a list or a scalar is refused (400), never read as fields."""
    if not isinstance(request.data, Mapping):
        raise ValidationFailed(_("Send a JSON object."), code="not_an_object")
    return request.data


class OversightReadsOnly(BasePermission):
    """Oversight users read; any write is refused before the request body is even looked at."""

    message = gettext_lazy("Oversight users can read selections but cannot change them.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not is_oversight(request.user)


PERMISSIONS = [IsAuthenticated, OversightReadsOnly]


class FileNegotiation(BaseContentNegotiation):
    """``?format=`` chooses the file type here, not a DRF renderer; errors still answer JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _export_format(request) -> str:
    export_format = request.query_params.get("format", "csv")
    if export_format not in EXPORT_FORMATS:
        raise ValidationFailed(_("Choose csv or xlsx."), fields={"format": [_("Use csv or xlsx.")]})
    return export_format


def _file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _frozen(search: SavedSearch) -> SavedSearch:
    if search.status != SavedSearch.Status.FROZEN:
        raise Conflict(_("End the search first: only an ended search has a fixed set of results."),
                       code="search_not_frozen")
    return search


class RequirementListCreateView(generics.ListAPIView):
    """The requirements of the signed-in buyer's organization (every one, for oversight)."""

    permission_classes = PERMISSIONS
    serializer_class = RequirementListSerializer

    def get_queryset(self):
        return selectors.requirements_visible_to(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=RequirementWriteSerializer, responses={201: RequirementSerializer})
    def post(self, request):
        details, criteria, estimates = read_new_requirement(_body(request))
        requirement = requirement_create(actor=request.user, details=details, criteria=criteria, estimates=estimates)
        requirement = selectors.requirement_get(user=request.user, requirement_id=requirement.pk)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)


class RequirementDetailView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(responses=RequirementSerializer)
    def get(self, request, pk: int):
        return Response(RequirementSerializer(selectors.requirement_get(user=request.user, requirement_id=pk)).data)

    @extend_schema(request=RequirementUpdateSerializer, responses=RequirementSerializer)
    def patch(self, request, pk: int):
        requirement = selectors.requirement_get(user=request.user, requirement_id=pk)
        body = _body(request)
        current = asdict(requirement_details(requirement))
        merged = {name: body[name] if name in body else current[field] for name, field in REQUIREMENT_FIELDS.items()}
        changed = frozenset(field for name, field in REQUIREMENT_FIELDS.items() if name in body)
        requirement_update(actor=request.user, requirement_id=pk, details=read_requirement(merged), changed=changed)
        return Response(RequirementSerializer(selectors.requirement_get(user=request.user, requirement_id=pk)).data)


class RequirementNoAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=NoAwardSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.requirement_get(user=request.user, requirement_id=pk)
        award = award_none(actor=request.user, requirement_id=pk, reason=read_reason(_body(request)))
        return Response(AwardSerializer(award).data, status=status.HTTP_201_CREATED)


class SearchListCreateView(generics.ListAPIView):
    permission_classes = PERMISSIONS
    serializer_class = SearchBriefSerializer

    def get_queryset(self):
        return selectors.searches_visible_to(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=SearchCreateSerializer, responses={201: SavedSearchSerializer})
    def post(self, request):
        body = _body(request)
        search = search_save(actor=request.user, name=read_name(body.get("name")), query=read_query(body.get("query")),
                             requirement_id=read_row_id(body.get("requirement"), field="requirement", required=False))
        search = selectors.search_get(user=request.user, search_id=search.pk)
        return Response(SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)


class SearchDetailView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(responses=SavedSearchSerializer)
    def get(self, request, pk: int):
        return Response(SavedSearchSerializer(selectors.search_get(user=request.user, search_id=pk)).data)

    @extend_schema(request=SearchUpdateSerializer, responses=SavedSearchSerializer)
    def patch(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        body = _body(request)
        search_update(actor=request.user, search_id=pk,
                      name=read_name(body["name"]) if "name" in body else None,
                      query=read_query(body["query"]) if body.get("query") is not None else None)
        return Response(SavedSearchSerializer(selectors.search_get(user=request.user, search_id=pk)).data)


class SearchFreezeView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=None, responses=SavedSearchSerializer)
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        search_freeze(actor=request.user, search_id=pk)
        return Response(SavedSearchSerializer(selectors.search_get(user=request.user, search_id=pk)).data)


class SearchExportView(APIView):
    permission_classes = PERMISSIONS
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(EXPORT_FORMATS), description="csv (default) or xlsx")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        search = _frozen(selectors.search_get(user=request.user, search_id=pk))
        export_format = _export_format(request)
        content, content_type, filename = snapshot_file(
            search, export_format=export_format, link_for=lambda listing_id: listing_link(request, listing_id)
        )
        search_export_record(reader=request.user, search=search, export_format=export_format)
        return _file_response(content, content_type, filename)


class SearchComparisonView(APIView):
    """The side-by-side comparison as JSON, or as a file with ``?format=csv`` or ``?format=xlsx``."""

    permission_classes = PERMISSIONS
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", *EXPORT_FORMATS], required=False)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, pk: int):
        search = _frozen(selectors.search_get(user=request.user, search_id=pk))
        comparison = selectors.comparison_build(search=search)
        requested = request.query_params.get("format", "json")
        if requested == "json":
            return Response(comparison_data(comparison))
        export_format = _export_format(request)
        content, content_type, filename = comparison_file(comparison, export_format=export_format)
        search_export_record(reader=request.user, search=search, export_format=f"comparison-{export_format}")
        return _file_response(content, content_type, filename)


class SearchAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=AwardCreateSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        award, order = award_direct(actor=request.user, search_id=pk, award=read_direct_award(_body(request)))
        body = dict(AwardSerializer(award).data)
        body["order"] = order.pk if order is not None else None
        return Response(body, status=status.HTTP_201_CREATED)


class SearchNoAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=NoAwardSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        award = award_none(actor=request.user, search_id=pk, reason=read_reason(_body(request)))
        return Response(AwardSerializer(award).data, status=status.HTTP_201_CREATED)
