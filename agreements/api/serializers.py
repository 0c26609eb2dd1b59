from rest_framework import serializers

from agreements.models import CeilingPrice, FrameworkAgreement, Lot, Organization


class OrganizationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "country"]


class CeilingPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CeilingPrice
        fields = ["unit", "max_unit_price"]


class LotSerializer(serializers.ModelSerializer):
    ceiling_prices = CeilingPriceSerializer(many=True, read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "number", "title", "description", "is_goods", "max_delivery_days", "ceiling_prices"]


class FrameworkSerializer(serializers.ModelSerializer):
    authority = OrganizationSummarySerializer(read_only=True)
    lots = LotSerializer(many=True, read_only=True)

    class Meta:
        model = FrameworkAgreement
        fields = [
            "id", "reference", "title", "description", "authority", "currency", "status", "start_date", "end_date",
            "direct_award_allowed", "max_frozen_results", "min_quotation_business_days", "max_call_off_months",
            "max_cap_increase_percent", "lots",
        ]
