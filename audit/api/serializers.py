from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    organization = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "occurred_at",
            "actor",
            "actor_id",
            "organization",
            "action",
            "target_type",
            "target_id",
            "payload",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    def get_organization(self, event: AuditEvent) -> dict | None:
        if event.organization_id_snapshot is None and not event.organization_name:
            return None
        return {"id": event.organization_id_snapshot, "name": event.organization_name}


class BrokenLinkSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    event_id = serializers.IntegerField(allow_null=True)
    reason = serializers.ChoiceField(choices=["hash_mismatch", "prev_hash_mismatch", "sequence_gap"])
    message = serializers.CharField()


class ChainVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    events = serializers.IntegerField()
    head = serializers.CharField(allow_null=True)
    first_broken = BrokenLinkSerializer(required=False)
