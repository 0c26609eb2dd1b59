"""Call-off orders API: read scoped orders, move their lifecycle, post and upload usage, statements."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import ValidationFailed, error_body
from common.parsing import read_month
from marketplace.orders import selectors, services
from marketplace.orders.models import CallOffOrder, OrderLine, Statement, UsageRecord


class OrderLineSerializer(serializers.ModelSerializer):
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["id", "listing_version", "description", "unit", "unit_price", "cap", "spent", "remaining"]


class OrderSerializer(serializers.ModelSerializer):
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    buyer = serializers.SerializerMethodField()
    supplier = serializers.SerializerMethodField()
    currency = serializers.CharField(source="framework.currency", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    start = serializers.DateField(source="start_date")
    end = serializers.DateField(source="end_date")

    class Meta:
        model = CallOffOrder
        fields = [
            "id", "reference", "status", "award", "framework", "currency", "buyer", "supplier", "cap",
            "original_cap", "spent", "remaining", "start", "end", "created_at", "activated_at",
            "closed_at", "closed_reason", "lines",
        ]

    def get_buyer(self, order) -> dict:
        return {"id": order.buyer_id, "name": order.buyer.name}

    def get_supplier(self, order) -> dict:
        return {"id": order.supplier_id, "name": order.supplier.name}


class StatementSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = ["id", "month", "total", "records", "lines", "generated_at", "final"]

    final = serializers.BooleanField(source="is_final", read_only=True,
                                     help_text="False when produced before the month ended (provisional).")

    def get_month(self, statement) -> str:
        return statement.month.strftime("%Y-%m")


def usage_response(record: UsageRecord, *, replayed: bool) -> Response:
    """The stored outcome as an answer: the same body and status every time the key is posted;
    a repeat is told apart only by the ``Idempotent-Replayed: true`` header."""
    common = {
        "id": record.pk, "line": record.line_id, "quantity": str(record.quantity),
        "occurred_at": record.occurred_at.isoformat().replace("+00:00", "Z"),
        "idempotency_key": record.idempotency_key, "amount": str(record.amount),
        "remaining": str(record.remaining_after),
    }
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    if record.status == UsageRecord.Status.ACCEPTED:
        return Response({"status": "accepted", **common}, status=status.HTTP_201_CREATED, headers=headers)
    body = error_body(code=record.reason, message=str(record.get_reason_display()), status="rejected", **common)
    return Response(body, status=status.HTTP_409_CONFLICT, headers=headers)


class OrderListView(generics.ListAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self):
        queryset = selectors.orders_visible_to(user=self.request.user).prefetch_related("lines")
        wanted = self.request.query_params.get("status")
        if wanted:
            queryset = queryset.filter(status=wanted)
        return queryset


class OrderDetailView(APIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request, pk):
        return Response(OrderSerializer(selectors.order_get_for(user=request.user, order_id=pk)).data)


def _order_answer(request, pk) -> Response:
    return Response(OrderSerializer(selectors.order_get_for(user=request.user, order_id=pk)).data)


class OrderActivateView(APIView):
    @extend_schema(request=None, responses=OrderSerializer)
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        services.order_activate(actor=request.user, order_id=pk)
        return _order_answer(request, pk)


class AmendCapInput(serializers.Serializer):
    cap = serializers.CharField()
    justification = serializers.CharField(allow_blank=True)


class OrderAmendCapView(APIView):
    @extend_schema(request=AmendCapInput, responses=OrderSerializer)
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        data = AmendCapInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_amend_cap(actor=request.user, order_id=pk, cap=data.validated_data["cap"],
                                 justification=data.validated_data["justification"])
        return _order_answer(request, pk)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class OrderTerminateView(APIView):
    @extend_schema(request=ReasonInput, responses=OrderSerializer)
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_terminate(actor=request.user, order_id=pk, reason=data.validated_data["reason"])
        return _order_answer(request, pk)


class OrderCompleteView(APIView):
    @extend_schema(request=ReasonInput, responses=OrderSerializer)
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_complete(actor=request.user, order_id=pk, reason=data.validated_data["reason"])
        return _order_answer(request, pk)


class UsageInput(serializers.Serializer):
    line = serializers.CharField()
    quantity = serializers.CharField()
    occurred_at = serializers.CharField()
    idempotency_key = serializers.CharField(max_length=200)


UsageAnswer = inline_serializer("UsageAnswer", {
    "status": serializers.CharField(), "amount": serializers.CharField(), "remaining": serializers.CharField(),
})


class OrderUsageView(APIView):
    @extend_schema(
        request=UsageInput, responses={201: UsageAnswer, 409: UsageAnswer},
        description="Post one usage. `line` is the order line's id. The same `idempotency_key` again returns "
                    "the first outcome (same status and body) with the header `Idempotent-Replayed: true`.",
    )
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        data = UsageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        reading = services.read_usage_reading(line=values["line"], quantity=values["quantity"],
                                              occurred_at=values["occurred_at"],
                                              idempotency_key=values["idempotency_key"])
        outcome = services.order_record_usage(actor=request.user, order_id=pk, reading=reading)
        return usage_response(outcome.record, replayed=outcome.replayed)


def upload_rows(outcomes) -> dict:
    rows = []
    for outcome in outcomes:
        rows.append({
            "row": outcome.row, "idempotency_key": outcome.idempotency_key, "status": outcome.status,
            "code": outcome.code, "message": outcome.message,
            "amount": str(outcome.amount) if outcome.amount is not None else None,
            "remaining": str(outcome.remaining) if outcome.remaining is not None else None,
            "replayed": outcome.replayed, "fields": outcome.fields or {},
        })
    counts = {name: sum(1 for row in rows if row["status"] == name) for name in ("accepted", "rejected", "invalid")}
    return {"rows": rows, **counts, "replayed": sum(1 for row in rows if row["replayed"])}


def read_upload(request):
    """The uploaded file, or the body of a text/csv request; its limits are checked by the service."""
    upload = request.FILES.get("file")
    if upload is None:
        if request.content_type and request.content_type.startswith("text/csv"):
            return request.body
        raise ValidationFailed(_("Attach a CSV file."), fields={"file": [_("Choose a CSV file.")]})
    return upload


class OrderUsageUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("UsageUpload", {"file": serializers.FileField()})},
        responses=inline_serializer("UsageUploadAnswer", {"rows": serializers.ListField(), "accepted": serializers.IntegerField()}),
    )
    def post(self, request, pk):
        selectors.order_get_for(user=request.user, order_id=pk)
        outcomes = services.order_upload_usage_csv(actor=request.user, order_id=pk, file=read_upload(request))
        return Response(upload_rows(outcomes))


class StatementInput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")


class OrderStatementsView(APIView):
    @extend_schema(responses=StatementSerializer(many=True))
    def get(self, request, pk):
        order = selectors.order_get_for(user=request.user, order_id=pk)
        return Response(StatementSerializer(selectors.statements_of(order=order), many=True).data)

    @extend_schema(request=StatementInput, responses=StatementSerializer)
    def post(self, request, pk):
        """Generate (or regenerate) the statement for a month on demand."""
        selectors.order_get_for(user=request.user, order_id=pk)
        data = StatementInput(data=request.data)
        data.is_valid(raise_exception=True)
        statement = services.statement_generate(order_id=pk, month=data.validated_data["month"], actor=request.user)
        return Response(StatementSerializer(statement).data, status=status.HTTP_201_CREATED)


class OrderStatementCsvView(APIView):
    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, pk, month):
        order = selectors.order_get_for(user=request.user, order_id=pk)
        statement = selectors.statement_get(order=order, month=read_month(month))
        response = HttpResponse(services.statement_csv(statement=statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{order.reference}-{statement.month:%Y-%m}.csv"'
        return response
