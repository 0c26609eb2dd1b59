"""API of the buyer's selection: requirements, saved searches, freeze, export, comparison, award."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.selectors import is_oversight
from common.errors import ValidationFailed
from marketplace.selection import selectors, services
from marketplace.selection.export import comparison_file, snapshot_file
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry

EXPORT_FORMATS = ("csv", "xlsx")


def listing_link(request, listing_id: int) -> str:
    """An absolute link to the listing's public page (or its API resource when there is no page)."""
    for name in ("catalog:listing-detail", "catalog:listing", "listing-detail", "api-listing-detail"):
        try:
            return request.build_absolute_uri(reverse(name, args=[listing_id]))
        except NoReverseMatch:
            continue
    return request.build_absolute_uri(f"/api/v1/listings/{listing_id}/")


# --- serializers --------------------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    expected = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = RequirementCriterion
        fields = ["id", "importance", "attribute_key", "operator", "expected", "text"]
        read_only_fields = ["id"]
        extra_kwargs = {"attribute_key": {"required": False, "allow_blank": True},
                        "operator": {"required": False}}


class EstimateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    unit = serializers.CharField(max_length=50)
    quantity = serializers.DecimalField(max_digits=18, decimal_places=6)


class SearchBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedSearch
        fields = ["id", "name", "summary", "status", "is_active", "result_count", "frozen_at"]


class AwardSerializer(serializers.ModelSerializer):
    supplier = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Award
        fields = ["id", "outcome", "method", "search", "listing_version", "supplier", "justification",
                  "cheaper_option_reason", "estimated_total", "lowest_estimated_total", "price_difference",
                  "entries_hash", "created_by", "created_at"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_supplier(self, award: Award):
        return {"id": award.supplier_id, "name": award.supplier.name} if award.supplier_id else None


class RequirementSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()
    estimates = serializers.SerializerMethodField()
    searches = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "title", "status", "organization", "framework", "lot", "category", "description", "budget",
                  "period_start", "period_end", "criteria", "estimates", "searches", "awards", "created_by",
                  "created_at"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_organization(self, requirement: Requirement):
        return {"id": requirement.organization_id, "name": requirement.organization.name}

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, requirement: Requirement):
        return CriterionSerializer(requirement.criteria.order_by("position", "pk"), many=True).data

    @extend_schema_field(EstimateSerializer(many=True))
    def get_estimates(self, requirement: Requirement):
        return EstimateSerializer(requirement.estimates.order_by("unit"), many=True).data

    @extend_schema_field(SearchBriefSerializer(many=True))
    def get_searches(self, requirement: Requirement):
        return SearchBriefSerializer(selectors.searches_of(requirement=requirement), many=True).data

    @extend_schema_field(AwardSerializer(many=True))
    def get_awards(self, requirement: Requirement):
        return AwardSerializer(selectors.awards_of(requirement=requirement), many=True).data


class RequirementListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requirement
        fields = ["id", "title", "status", "framework", "lot", "category", "budget", "created_at"]


class RequirementWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    framework = serializers.IntegerField(required=False, allow_null=True)
    lot = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                      min_value=0)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    criteria = CriterionSerializer(many=True, required=False)
    estimates = EstimateSerializer(many=True, required=False)


class RequirementUpdateSerializer(RequirementWriteSerializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class SnapshotEntrySerializer(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_version.listing_id")
    version = serializers.IntegerField(source="listing_version.number")
    title = serializers.CharField(source="listing_version.title")
    summary = serializers.CharField(source="listing_version.summary")
    supplier = serializers.SerializerMethodField()

    class Meta:
        model = SearchSnapshotEntry
        fields = ["rank", "listing_version", "listing", "version", "title", "summary", "supplier", "unit",
                  "unit_price"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_supplier(self, entry: SearchSnapshotEntry):
        return {"id": entry.supplier_id, "name": entry.supplier.name}


class SavedSearchSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    frozen_by = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "requirement", "framework", "query", "summary", "status", "is_active",
                  "result_count", "entries_hash", "created_by", "created_at", "frozen_by", "frozen_at", "entries"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_frozen_by(self, search: SavedSearch):
        return search.frozen_by.username if search.frozen_by_id else None

    @extend_schema_field(SnapshotEntrySerializer(many=True))
    def get_entries(self, search: SavedSearch):
        return SnapshotEntrySerializer(selectors.snapshot_entries(search=search), many=True).data


class SearchCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    query = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    requirement = serializers.IntegerField(required=False, allow_null=True)


class SearchUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    query = serializers.DictField(child=serializers.JSONField(), required=False)


class AwardCreateSerializer(serializers.Serializer):
    listing_version = serializers.IntegerField()
    justification = serializers.CharField(allow_blank=True, required=False, default="")
    cheaper_option_reason = serializers.CharField(allow_blank=True, required=False, default="")
    cap = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    start = serializers.DateField()
    end = serializers.DateField()


class NoAwardSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


def comparison_data(comparison: selectors.Comparison) -> dict:
    def criterion(item):
        return {"id": item.pk, "text": item.text, "attribute_key": item.attribute_key, "operator": item.operator,
                "expected": item.expected}

    def money(value):
        return None if value is None else str(value)

    return {
        "search": comparison.search.pk,
        "requirement": {"id": comparison.requirement.pk, "title": comparison.requirement.title},
        "entries_hash": comparison.search.entries_hash,
        "essential": [criterion(item) for item in comparison.essential],
        "desired": [criterion(item) for item in comparison.desired],
        "estimates": {estimate.unit: str(estimate.quantity) for estimate in comparison.requirement.estimates.all()},
        "lowest_estimated_total": money(comparison.lowest_estimated_total),
        "lowest_listing_versions": [row.entry.listing_version_id for row in comparison.rows if row.is_lowest],
        "entries": [
            {
                "rank": row.entry.rank,
                "listing_version": row.entry.listing_version_id,
                "listing": row.version.listing_id,
                "title": row.version.title,
                "supplier": {"id": row.entry.supplier_id, "name": row.entry.supplier.name},
                "unit": row.entry.unit,
                "unit_price": str(row.entry.unit_price),
                "estimated_total": money(row.estimated_total),
                "price_difference": money(row.price_difference),
                "essential": [{"criterion": item.criterion.pk, "result": item.result, "value": item.value}
                              for item in row.essential],
                "essential_compliant": row.essential_compliant,
                "needs_judgement": row.needs_judgement,
                "desired": [{"criterion": item.criterion.pk, "result": item.result, "value": item.value}
                            for item in row.desired],
                "desired_met": row.desired_met,
                "is_lowest": row.is_lowest,
                "cheaper_option_reason_required": comparison.cheaper_option_needed(row),
                "features": row.version.features,
                "exit_statement": row.version.exit_statement,
                "stock": row.stock,
                "in_stock": row.in_stock,
                "lead_time_days": row.version.lead_time_days,
            }
            for row in comparison.rows
        ],
    }


# --- views --------------------------------------------------------------------------------------


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
        from common.errors import Conflict

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
        serializer = RequirementWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        requirement = services.requirement_create(
            actor=request.user, title=data["title"], framework_id=data.get("framework"), lot_id=data.get("lot"),
            category_id=data.get("category"), description=data.get("description", ""), budget=data.get("budget"),
            period_start=data.get("period_start"), period_end=data.get("period_end"),
            criteria=data.get("criteria", []), estimates=data.get("estimates", []),
        )
        requirement = selectors.requirement_get(user=request.user, requirement_id=requirement.pk)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)


class RequirementDetailView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(responses=RequirementSerializer)
    def get(self, request, pk: int):
        return Response(RequirementSerializer(selectors.requirement_get(user=request.user, requirement_id=pk)).data)

    @extend_schema(request=RequirementUpdateSerializer, responses=RequirementSerializer)
    def patch(self, request, pk: int):
        selectors.requirement_get(user=request.user, requirement_id=pk)
        serializer = RequirementUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        names = {"framework": "framework_id", "lot": "lot_id", "category": "category_id"}
        changes = {names.get(key, key): value for key, value in serializer.validated_data.items()
                   if key not in ("criteria", "estimates")}
        services.requirement_update(actor=request.user, requirement_id=pk, **changes)
        return Response(RequirementSerializer(selectors.requirement_get(user=request.user, requirement_id=pk)).data)


class RequirementNoAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=NoAwardSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.requirement_get(user=request.user, requirement_id=pk)
        serializer = NoAwardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        award = services.award_none(actor=request.user, requirement_id=pk, reason=serializer.validated_data["reason"])
        return Response(AwardSerializer(award).data, status=status.HTTP_201_CREATED)


class SearchListCreateView(generics.ListAPIView):
    permission_classes = PERMISSIONS
    serializer_class = SearchBriefSerializer

    def get_queryset(self):
        return selectors.searches_visible_to(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=SearchCreateSerializer, responses={201: SavedSearchSerializer})
    def post(self, request):
        serializer = SearchCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        search = services.search_save(actor=request.user, name=data["name"], query=data.get("query") or {},
                                      requirement_id=data.get("requirement"))
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
        serializer = SearchUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.search_update(actor=request.user, search_id=pk, name=serializer.validated_data.get("name"),
                               query=serializer.validated_data.get("query"))
        return Response(SavedSearchSerializer(selectors.search_get(user=request.user, search_id=pk)).data)


class SearchFreezeView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=None, responses=SavedSearchSerializer)
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        services.search_freeze(actor=request.user, search_id=pk)
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
        services.search_export_record(actor=request.user, search=search, export_format=export_format)
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
        services.search_export_record(actor=request.user, search=search, export_format=f"comparison-{export_format}")
        return _file_response(content, content_type, filename)


class SearchAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=AwardCreateSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        serializer = AwardCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        award, order = services.award_direct(
            actor=request.user, search_id=pk, listing_version_id=data["listing_version"],
            justification=data["justification"], cheaper_option_reason=data["cheaper_option_reason"],
            cap=data["cap"], start=data["start"], end=data["end"],
        )
        body = dict(AwardSerializer(award).data)
        body["order"] = order.pk if order is not None else None
        return Response(body, status=status.HTTP_201_CREATED)


class SearchNoAwardView(APIView):
    permission_classes = PERMISSIONS
    @extend_schema(request=NoAwardSerializer, responses={201: AwardSerializer})
    def post(self, request, pk: int):
        selectors.search_get(user=request.user, search_id=pk)
        serializer = NoAwardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        award = services.award_none(actor=request.user, search_id=pk, reason=serializer.validated_data["reason"])
        return Response(AwardSerializer(award).data, status=status.HTTP_201_CREATED)
