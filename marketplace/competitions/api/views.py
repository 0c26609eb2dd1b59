"""Competitions API: request for quotation among a lot's admitted suppliers.

Views read the input with ``marketplace.competitions.inputs`` (``common.parsing``), call one service
or selector and shape the output; the serializers below document the bodies in the schema. Quotes
come only from ``quotes_visible_to``, which keeps them sealed until the competition closes. Reads
write nothing: a competition past its deadline shows as closed (``effective_status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.models import Organization
from agreements.selectors import kind_of
from common.errors import NotFound, ValidationFailed
from common.parsing import read_row_id
from marketplace.competitions import selectors, services
from marketplace.competitions.inputs import (
    read_award,
    read_competition_draft,
    read_evaluations,
    read_quote,
    read_reason,
)
from marketplace.competitions.models import Competition, Quote


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def quote_payload(quote: Quote) -> dict:
    evaluation = getattr(quote, "evaluation", None) if hasattr(quote, "evaluation") else None
    return {
        "id": quote.pk,
        "supplier": {"id": quote.supplier_id, "name": quote.supplier.name},
        "submitted_at": _iso(quote.submitted_at),
        "is_current": quote.is_current,
        "replaces": quote.replaces_id,
        "total": str(quote.total),
        "delivery_terms": quote.delivery_terms,
        "lines": [
            {"line": item.line_id, "unit": item.line.unit, "quantity": str(item.line.quantity),
             "unit_price": str(item.unit_price), "amount": str(item.amount),
             "listing_version": item.listing_version_id}
            for item in quote.lines.all()
        ],
        "responses": [{"criterion": item.criterion_id, "text": item.text} for item in quote.responses.all()],
        "evaluation": None if evaluation is None else {
            "rejected": evaluation.rejected, "rejection_reason": evaluation.rejection_reason, "rank": evaluation.rank,
            "price_score": None if evaluation.price_score is None else str(evaluation.price_score),
            "quality_score": None if evaluation.quality_score is None else str(evaluation.quality_score),
            "total_score": None if evaluation.total_score is None else str(evaluation.total_score),
            "scores": [{"criterion": score.criterion_id, "score": str(score.score), "points": str(score.points),
                        "justification": score.justification} for score in evaluation.scores.all()],
        },
    }


def competition_summary(competition: Competition) -> dict:
    return {
        "id": competition.pk, "title": competition.title, "status": competition.effective_status,
        "organization": {"id": competition.organization_id, "name": competition.organization.name},
        "requirement": competition.requirement_id, "framework": competition.framework_id, "lot": competition.lot_id,
        "method": competition.method, "price_weight": competition.price_weight, "deadline": _iso(competition.deadline),
        "clarifications_allowed": competition.clarifications_allowed, "published_at": _iso(competition.published_at),
        "closed_at": _iso(competition.closed_at),
    }


def competition_payload(competition: Competition, user) -> dict:
    """The detail as this user may see it: sealed quotes stay out until the competition closed."""
    is_buyer = selectors.is_buyer_of(user=user, competition=competition)
    invitation = selectors.invitation_of(user=user, competition=competition)
    own_questions = {q.pk for q in competition.questions.filter(supplier_id=invitation.supplier_id)} if invitation else set()
    body = competition_summary(competition)
    body.update({
        "description": competition.description,
        "lines": [{"id": line.pk, "unit": line.unit, "quantity": str(line.quantity), "description": line.description}
                  for line in competition.lines.all()],
        "criteria": [{"id": c.pk, "name": c.name, "description": c.description, "weight": c.weight}
                     for c in competition.criteria.all()],
        "questions": [
            {"id": q.pk, "text": q.text, "asked_at": _iso(q.asked_at), "answer": q.answer,
             "answered_at": _iso(q.answered_at), "asked_by_me": q.pk in own_questions}
            for q in selectors.questions_visible_to(user=user, competition=competition)
        ],
        "quotes_opened": competition.quotes_opened,
        "quotes": [quote_payload(q) for q in selectors.quotes_visible_to(user=user, competition=competition)],
        "ranking_rule": competition.ranking_rule,
        "evaluated_at": _iso(competition.evaluated_at),
        "outcome_reason": competition.outcome_reason,
        "award": competition.award_id,
        "invitation": None if invitation is None else {
            "status": invitation.status, "decline_reason": invitation.decline_reason},
    })
    if is_buyer or kind_of(user) in (Organization.Kind.OVERSIGHT, Organization.Kind.AUTHORITY):
        # Suppliers never learn who else was invited.
        body["invitations"] = [
            {"supplier": {"id": i.supplier_id, "name": i.supplier.name}, "status": i.status,
             "decline_reason": i.decline_reason}
            for i in selectors.invitations_of(competition=competition)
        ]
    return body


# --- input shapes, for the schema (read by ``inputs``; content rules live in the services) --------

class CompetitionLineInput(serializers.Serializer):
    unit = serializers.CharField(max_length=50)
    quantity = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CompetitionCriterionInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    weight = serializers.IntegerField()
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CompetitionCreateInput(serializers.Serializer):
    requirement = serializers.IntegerField()
    lot = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    method = serializers.ChoiceField(choices=Competition.Method.choices, default=Competition.Method.LOWEST_PRICE)
    price_weight = serializers.IntegerField(required=False, allow_null=True)
    criteria = CompetitionCriterionInput(many=True, required=False)
    lines = CompetitionLineInput(many=True)
    deadline = serializers.DateTimeField()
    clarifications_allowed = serializers.BooleanField(default=True)


class CompetitionQuoteLineInput(serializers.Serializer):
    line = serializers.IntegerField()
    unit_price = serializers.CharField(max_length=40)
    listing = serializers.IntegerField(required=False, allow_null=True)


class CompetitionQuoteResponseInput(serializers.Serializer):
    criterion = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)


class CompetitionQuoteInput(serializers.Serializer):
    lines = CompetitionQuoteLineInput(many=True)
    delivery_terms = serializers.CharField(allow_blank=True)
    responses = CompetitionQuoteResponseInput(many=True, required=False)


class CompetitionReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class CompetitionQuestionInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)


class CompetitionAnswerInput(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.CharField(allow_blank=True)


class CompetitionScoreInput(serializers.Serializer):
    criterion = serializers.IntegerField()
    score = serializers.CharField(max_length=20)
    justification = serializers.CharField(allow_blank=True)


class CompetitionEvaluationInput(serializers.Serializer):
    quote = serializers.IntegerField()
    rejected = serializers.BooleanField(default=False)
    rejection_reason = serializers.CharField(required=False, allow_blank=True)
    scores = CompetitionScoreInput(many=True, required=False)


class CompetitionEvaluateInput(serializers.Serializer):
    evaluations = CompetitionEvaluationInput(many=True)


class CompetitionAwardInput(serializers.Serializer):
    quote = serializers.IntegerField()
    justification = serializers.CharField(allow_blank=True)
    not_top_reason = serializers.CharField(required=False, allow_blank=True)
    cap = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)


def _body(request) -> Mapping[str, Any]:
    """The request's JSON object (or form fields); anything else is refused as a whole."""
    if not isinstance(request.data, Mapping):
        raise ValidationFailed(_("Send a JSON object."))
    return request.data


def _visible(request, competition_id: int) -> Competition:
    competition = selectors.competition_detail(user=request.user, competition_id=competition_id)
    if competition is None:
        raise NotFound(_("No such competition."))
    return competition


def _detail(request, competition_id: int) -> Response:
    return Response(competition_payload(_visible(request, competition_id), request.user))


# --- views ----------------------------------------------------------------------------------------

class CompetitionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Competition.Status.choices)
    organization = serializers.DictField()
    requirement = serializers.IntegerField()
    framework = serializers.IntegerField()
    lot = serializers.IntegerField()
    method = serializers.ChoiceField(choices=Competition.Method.choices)
    price_weight = serializers.IntegerField()
    deadline = serializers.DateTimeField()
    clarifications_allowed = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CompetitionListView(generics.GenericAPIView):
    """Competitions visible to the user; POST creates one from a requirement (buyer)."""

    queryset = Competition.objects.none()
    serializer_class = CompetitionSummarySerializer

    @extend_schema(responses=CompetitionSummarySerializer(many=True))
    def get(self, request):
        queryset = selectors.competitions_visible_to(user=request.user).order_by("-created_at", "-pk")
        status_filter = request.query_params.get("status")
        if status_filter:
            queryset = selectors.with_effective_status(queryset, status_filter)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([competition_summary(c) for c in page])

    @extend_schema(request=CompetitionCreateInput, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        competition = services.competition_create(actor=request.user, draft=read_competition_draft(_body(request)))
        response = _detail(request, competition.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class CompetitionDetailView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        return _detail(request, pk)


class CompetitionPublishView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        services.competition_publish(actor=request.user, competition_id=pk)
        return _detail(request, pk)


class CompetitionQuestionsView(APIView):
    @extend_schema(request=CompetitionQuestionInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        question = services.question_ask(actor=request.user, competition_id=pk,
                                         text=read_reason(_body(request).get("text"), field="text"))
        return Response({"id": question.pk, "text": question.text, "answer": ""}, status=status.HTTP_201_CREATED)


class CompetitionAnswersView(APIView):
    @extend_schema(request=CompetitionAnswerInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        data = _body(request)
        question = services.question_answer(
            actor=request.user, competition_id=pk, question_id=read_row_id(data.get("question"), field="question"),
            answer=read_reason(data.get("answer"), field="answer"))
        return Response({"id": question.pk, "text": question.text, "answer": question.answer})


class CompetitionQuotesView(APIView):
    """GET: the quotes this user may read (sealed until closing). POST: submit or replace a quote."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        competition = _visible(request, pk)
        quotes = selectors.quotes_visible_to(user=request.user, competition=competition)
        return Response({"quotes_opened": competition.quotes_opened, "results": [quote_payload(q) for q in quotes]})

    @extend_schema(request=CompetitionQuoteInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        quote = services.quote_submit(actor=request.user, competition_id=pk, quote=read_quote(_body(request)))
        return Response(quote_payload(quote), status=status.HTTP_201_CREATED)


class CompetitionDeclineView(APIView):
    @extend_schema(request=CompetitionReasonInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        invitation = services.quote_decline(actor=request.user, competition_id=pk,
                                            reason=read_reason(_body(request).get("reason")))
        return Response({"status": invitation.status, "decline_reason": invitation.decline_reason})


class CompetitionEvaluateView(APIView):
    @extend_schema(request=CompetitionEvaluateInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        services.competition_evaluate(actor=request.user, competition_id=pk,
                                      evaluations=read_evaluations(_body(request).get("evaluations")))
        return _detail(request, pk)


class CompetitionAwardView(APIView):
    @extend_schema(request=CompetitionAwardInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        award = services.competition_award(actor=request.user, competition_id=pk, award=read_award(_body(request)))
        order = getattr(award, "order", None) if award.listing_version_id else None
        return Response({
            "award": award.pk, "supplier": award.supplier_id, "listing_version": award.listing_version_id,
            "estimated_total": str(award.estimated_total), "price_difference": str(award.price_difference),
            "order": order.pk if order else None,
        }, status=status.HTTP_201_CREATED)


class CompetitionNoAwardView(APIView):
    @extend_schema(request=CompetitionReasonInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        award = services.competition_no_award(actor=request.user, competition_id=pk,
                                              reason=read_reason(_body(request).get("reason")))
        return Response({"award": award.pk, "outcome": award.outcome, "reason": award.justification})


class CompetitionCancelView(APIView):
    @extend_schema(request=CompetitionReasonInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk: int):
        services.competition_cancel(actor=request.user, competition_id=pk, reason=read_reason(_body(request).get("reason")))
        return _detail(request, pk)
