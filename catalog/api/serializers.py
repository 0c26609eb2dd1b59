from rest_framework import serializers

from catalog.models import Listing, ListingVersion


def hit_to_dict(hit) -> dict:
    return {
        "id": hit.listing_id, "version": hit.version, "version_id": hit.version_id, "title": hit.title,
        "summary": hit.summary, "highlighted_summary": str(hit.highlighted_summary),
        "supplier": {"id": hit.supplier_id, "name": hit.supplier_name}, "framework": hit.framework_id,
        "lot": hit.lot_id, "unit": hit.unit, "unit_price": str(hit.unit_price), "categories": hit.categories,
        "in_stock": hit.in_stock, "rank": hit.rank,
    }


class ListingVersionSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=6, coerce_to_string=True)
    ceiling_price = serializers.DecimalField(max_digits=18, decimal_places=6, coerce_to_string=True)

    class Meta:
        model = ListingVersion
        fields = ["id", "number", "title", "summary", "description", "features", "benefits", "attributes",
                  "category_ids", "unit", "unit_price", "ceiling_price", "minimum_commitment", "lead_time_days",
                  "exit_statement", "content_hash", "published_at"]


class ListingSerializer(serializers.ModelSerializer):
    supplier = serializers.SerializerMethodField()
    current_version = ListingVersionSerializer(read_only=True)
    draft = serializers.SerializerMethodField()
    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Listing
        fields = ["id", "status", "supplier", "framework", "lot", "in_stock", "stock", "has_unpublished_changes",
                  "current_version", "draft", "rejection_reason", "updated_at"]

    def get_supplier(self, listing) -> dict:
        return {"id": listing.supplier_id, "name": listing.supplier.name}

    def get_draft(self, listing) -> dict | None:
        if not self.context.get("show_draft"):
            return None
        return {
            "title": listing.title, "summary": listing.summary, "description": listing.description,
            "features": listing.features, "benefits": listing.benefits, "attributes": listing.attributes,
            "categories": sorted(listing.categories.values_list("pk", flat=True)), "unit": listing.unit,
            "unit_price": str(listing.unit_price), "minimum_commitment": str(listing.minimum_commitment),
            "lead_time_days": listing.lead_time_days, "exit_statement": listing.exit_statement,
        }

    def to_representation(self, listing):
        data = super().to_representation(listing)
        if not self.context.get("show_draft"):
            data.pop("draft")
            data.pop("rejection_reason")
        return data


class DraftInputSerializer(serializers.Serializer):
    """Shape only; every business rule is in the services."""

    title = serializers.CharField(required=False, allow_blank=True)
    summary = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    features = serializers.ListField(child=serializers.CharField(), required=False)
    benefits = serializers.ListField(child=serializers.CharField(), required=False)
    attributes = serializers.DictField(required=False)
    categories = serializers.ListField(child=serializers.IntegerField(), required=False)
    unit = serializers.CharField(required=False, allow_blank=True)
    unit_price = serializers.CharField(required=False)
    minimum_commitment = serializers.CharField(required=False, allow_blank=True)
    lead_time_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    exit_statement = serializers.CharField(required=False, allow_blank=True)
    stock = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class ListingCreateSerializer(DraftInputSerializer):
    framework = serializers.IntegerField()
    lot = serializers.IntegerField()
