"""Oversight API: the selection log (with CSV/JSON export), the trail of one selection and its
check, and the red flags. Oversight users only; every endpoint reads (the check writes nothing)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.api.permissions import IsOversight
from common.errors import ValidationFailed
from common.parsing import FieldErrors, read_row_id
from common.spreadsheet import safe_row
from marketplace.oversight import selectors
from marketplace.oversight.models import RedFlag

LOG_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=description) for name, description in (
        ("buyer", "Buyer organization id"), ("supplier", "Supplier organization id"),
        ("framework", "Framework id"), ("lot", "Lot id"), ("date_from", "YYYY-MM-DD, inclusive"),
        ("date_to", "YYYY-MM-DD, inclusive"), ("value_min", "Awarded value at least"),
        ("value_max", "Awarded value at most"), ("method", "direct | competition"),
        ("outcome", "awarded | no_award"), ("flag", "A red flag kind, any or none"),
        ("sort", "date | -date | value | -value | buyer | -buyer | supplier | -supplier"),
    )
]


class OversightMixin:
    def get_permissions(self):
        return [IsAuthenticated(), IsOversight()]


class LogPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class SelectionLogView(OversightMixin, APIView):
    @extend_schema(parameters=LOG_PARAMETERS, responses=OpenApiTypes.OBJECT, operation_id="oversight_selections_list")
    def get(self, request):
        filters = selectors.parse_log_filters(request.query_params)
        queryset = selectors.selection_log(user=request.user, filters=filters)
        paginator = LogPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response([selectors.log_row(award) for award in page])


def log_export_response(*, user, params) -> HttpResponse:
    """The whole filtered log as a CSV or JSON download (shared by the API and the page)."""
    export_format = (params.get("format") or "csv").lower()
    if export_format not in ("csv", "json"):
        raise ValidationFailed(_("Choose csv or json."), fields={"format": [_("Choose csv or json.")]})
    awards = selectors.selection_log(user=user, filters=selectors.parse_log_filters(params))
    if export_format == "json":
        body = json.dumps({"results": [selectors.log_row(award) for award in awards]}, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(selectors.csv_column_labels())
        for award in awards:
            writer.writerow(safe_row(selectors.log_csv_row(award)))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="selection-log.{export_format}"'
    return response


class FileNegotiation(BaseContentNegotiation):
    """``?format=csv|json`` names the file to download, not a DRF renderer; errors still answer JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SelectionLogExportView(OversightMixin, APIView):
    content_negotiation_class = FileNegotiation

    @extend_schema(parameters=[*LOG_PARAMETERS, OpenApiParameter("format", OpenApiTypes.STR, description="csv | json")],
                   responses={(200, "text/csv"): str, (200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request):
        return log_export_response(user=request.user, params=request.query_params)


def _money(value) -> str | None:
    return None if value is None else str(value)


def _event(event) -> dict[str, Any]:
    return {"id": event.pk, "sequence": event.sequence, "occurred_at": event.occurred_at.isoformat(),
            "actor": event.actor_name, "organization": event.organization_name, "action": event.action,
            "description": selectors.describe_event(event),
            "target_type": event.target_type, "target_id": event.target_id, "payload": event.payload,
            "hash": event.hash, "prev_hash": event.prev_hash}


def _award_part(award) -> dict[str, Any]:
    return {
        "id": award.pk, "method": award.method, "outcome": award.outcome, "date": award.created_at.isoformat(),
        "buyer": {"id": award.organization_id, "name": award.organization.name},
        "supplier": {"id": award.supplier_id, "name": award.supplier.name} if award.supplier_id else None,
        "framework": {"id": award.framework_id, "reference": award.framework.reference,
                      "currency": award.framework.currency},
        "listing_version": award.listing_version_id, "justification": award.justification,
        "cheaper_option_reason": award.cheaper_option_reason,
        "estimated_total": _money(award.estimated_total),
        "lowest_estimated_total": _money(award.lowest_estimated_total),
        "price_difference": _money(award.price_difference), "entries_hash": award.entries_hash,
        "decided_by": award.created_by.get_username(),
    }


def _requirement_part(trail: selectors.Trail) -> dict[str, Any]:
    requirement = trail.requirement
    return {
        "id": requirement.pk, "title": requirement.title, "description": requirement.description,
        "budget": _money(requirement.budget), "status": requirement.status,
        "period_start": requirement.period_start.isoformat() if requirement.period_start else None,
        "period_end": requirement.period_end.isoformat() if requirement.period_end else None,
        "criteria": [{"importance": item.importance, "text": item.text, "attribute_key": item.attribute_key,
                      "operator": item.operator, "expected": item.expected}
                     for item in [*trail.essential, *trail.desired]],
        "estimates": [{"unit": item.unit, "quantity": str(item.quantity)} for item in trail.estimates],
    }


def _search_part(trail: selectors.Trail) -> dict[str, Any] | None:
    search = trail.search
    if search is None:
        return None
    return {
        "id": search.pk, "name": search.name, "status": search.status, "query": search.query,
        "summary": search.summary, "result_count": search.result_count, "entries_hash": search.entries_hash,
        "frozen_at": search.frozen_at.isoformat() if search.frozen_at else None,
        "entries": [{"rank": entry.rank, "listing_version": entry.listing_version_id,
                     "title": entry.listing_version.title, "supplier": entry.supplier.name, "unit": entry.unit,
                     "unit_price": str(entry.unit_price)} for entry in trail.entries],
    }


def _comparison_part(trail: selectors.Trail) -> dict[str, Any] | None:
    if trail.comparison is None:
        return None
    return {
        "lowest_estimated_total": _money(trail.comparison.lowest_estimated_total),
        "rows": [{"rank": row.entry.rank, "listing_version": row.entry.listing_version_id,
                  "estimated_total": _money(row.estimated_total), "essential_compliant": row.essential_compliant,
                  "desired_met": row.desired_met, "is_lowest": row.is_lowest,
                  "price_difference": _money(row.price_difference)} for row in trail.comparison.rows],
    }


def _evaluation(evaluation) -> dict[str, Any]:
    return {
        "quote": evaluation.quote_id, "supplier": evaluation.quote.supplier.name, "rank": evaluation.rank,
        "rejected": evaluation.rejected, "rejection_reason": evaluation.rejection_reason,
        "price_score": _money(evaluation.price_score), "quality_score": _money(evaluation.quality_score),
        "total_score": _money(evaluation.total_score),
        "scores": [{"criterion": score.criterion.name, "score": str(score.score), "points": str(score.points),
                    "justification": score.justification} for score in evaluation.score_rows],
    }


def _competition_part(trail: selectors.Trail) -> dict[str, Any] | None:
    competition = trail.competition
    if competition is None:
        return None
    return {
        "id": competition.pk, "title": competition.title, "status": competition.effective_status,
        "method": competition.method, "deadline": competition.deadline.isoformat(),
        "quotes_opened": competition.quotes_opened, "ranking_rule": competition.ranking_rule,
        "lines": [{"unit": line.unit, "quantity": str(line.quantity)} for line in trail.competition_lines],
        "quotes": [{"id": quote.pk, "supplier": quote.supplier.name, "total": str(quote.total),
                    "is_current": quote.is_current, "submitted_at": quote.submitted_at.isoformat()}
                   for quote in trail.quotes],
        "evaluations": [_evaluation(evaluation) for evaluation in trail.evaluations],
    }


def _order_part(trail: selectors.Trail) -> dict[str, Any] | None:
    order = trail.order
    if order is None:
        return None
    totals = trail.usage_totals or {}
    return {
        "id": order.pk, "reference": order.reference, "status": order.status, "cap": str(order.cap),
        "original_cap": str(order.original_cap), "spent": str(order.spent),
        "start": order.start_date.isoformat(), "end": order.end_date.isoformat(),
        "lines": [{"description": line.description, "unit": line.unit, "unit_price": str(line.unit_price)}
                  for line in trail.order_lines],
        "amendments": [{"previous_cap": str(item.previous_cap), "new_cap": str(item.new_cap),
                        "justification": item.justification, "by": item.amended_by.get_username(),
                        "at": item.created_at.isoformat()} for item in trail.amendments],
        "usage": {"accepted": totals.get("accepted", 0), "rejected": totals.get("rejected", 0),
                  "accepted_amount": _money(totals.get("accepted_amount"))},
        "statements": [{"month": item.month.strftime("%Y-%m"), "total": str(item.total), "records": item.records}
                       for item in trail.statements],
    }


def trail_as_dict(trail: selectors.Trail) -> dict[str, Any]:
    return {
        "award": _award_part(trail.award),
        "requirement": _requirement_part(trail),
        "search": _search_part(trail),
        "comparison": _comparison_part(trail),
        "competition": _competition_part(trail),
        "order": _order_part(trail),
        "flags": [{"kind": flag.kind, "explanation": flag.explanation_text} for flag in trail.flags],
        "steps": [{"key": step.key, "title": step.title, "events": [_event(event) for event in step.events]}
                  for step in trail.steps],
    }


class SelectionTrailView(OversightMixin, APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="oversight_selections_retrieve")
    def get(self, request, pk):
        return Response(trail_as_dict(selectors.selection_trail(user=request.user, award_id=pk)))


class SelectionTrailCheckView(OversightMixin, APIView):
    """Recompute the trail's hashes and links and the snapshot hash. Writes nothing."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        return Response(selectors.trail_check(user=request.user, award_id=pk).as_dict())


class RedFlagListView(OversightMixin, APIView):
    @extend_schema(parameters=[OpenApiParameter("kind", OpenApiTypes.STR), OpenApiParameter("buyer", OpenApiTypes.INT)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request):
        errors = FieldErrors()
        kind = (request.query_params.get("kind") or "").strip()
        if kind and kind not in RedFlag.Kind.values:
            errors.add("kind", "not_a_choice", _("Unknown kind of red flag."))
        buyer = read_row_id(request.query_params.get("buyer"), field="buyer", errors=errors, required=False)
        errors.raise_if_any(_("Some filters are not valid."))
        flags = selectors.red_flags(user=request.user, kind=kind, buyer=buyer)
        paginator = LogPagination()
        page = paginator.paginate_queryset(flags, request, view=self)
        return paginator.get_paginated_response([{
            "id": flag.pk, "kind": flag.kind, "title": str(flag.get_kind_display()), "explanation": flag.explanation_text,
            "buyer": {"id": flag.buyer_id, "name": flag.buyer.name},
            "supplier": {"id": flag.supplier_id, "name": flag.supplier.name} if flag.supplier_id else None,
            "award": flag.award_id, "order": flag.order_id, "competition": flag.competition_id,
            "trail": f"/api/v1/oversight/selections/{flag.award_id}/" if flag.award_id else None,
            "details": flag.details, "raised_at": flag.raised_at.isoformat(),
            "refreshed_at": flag.refreshed_at.isoformat(),
        } for flag in page])
