"""What the selection API sends and documents: requirements, saved searches, snapshots, awards and
the comparison. Bodies are read by ``marketplace.selection.inputs`` (``common.parsing`` rules); the
write serializers here describe those bodies in the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.money import AMOUNT_PLACES
from marketplace.selection import selectors
from marketplace.selection.models import Award, Requirement, RequirementCriterion, SavedSearch, SearchSnapshotEntry


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
                                      min_value=AMOUNT_PLACES)  # an amount is more than 0 (common.parsing)
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
    cap = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=AMOUNT_PLACES)  # an amount is more than 0 (common.parsing)
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

