from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from agreements.models import Admission, Membership, Organization
from audit.models import AuditEvent
from catalog.models import Listing
from common.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from marketplace.competitions import services
from marketplace.competitions.models import (
    ClarificationQuestion,
    Competition,
    CriterionScore,
    Invitation,
    Quote,
    QuoteEvaluation,
)
from marketplace.competitions.selectors import questions_visible_to
from marketplace.competitions.tasks import close_overdue_competitions
from marketplace.notifications.models import Notification
from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award, Requirement
from tests.clock import months_from_this_month
from tests.factories import AdmissionFactory, LotFactory, member
from tests.marketplace.factories_competitions import (
    admitted_supplier,
    award_as,
    close,
    create_as,
    create_competition,
    evaluate_as,
    org_of,
    pass_deadline,
    publish,
    published_listing,
    quote_as,
    quote_lines,
    requirement_for,
    submit,
)

pytestmark = pytest.mark.django_db


# --- creation -----------------------------------------------------------------------------------

def test_weighted_competition_needs_weights_summing_to_100(buyer_user, lot):
    requirement = requirement_for(buyer_user, lot=lot)
    create_competition(buyer_user, lot)  # makes the lot's ceilings
    before = Competition.objects.count()
    with pytest.raises(ValidationFailed) as error:
        create_as(
            actor=buyer_user, requirement_id=requirement.pk, lines=[{"unit": "vCPU-hour", "quantity": "10"}],
            deadline=timezone.now() + timedelta(days=30), method="weighted", price_weight=60,
            criteria=[{"name": "Support", "weight": 30}],
        )
    assert error.value.fields == {"criteria": ["The price weight and the criteria weights must add up to 100 (now 90)."]}
    assert Competition.objects.count() == before


def test_lowest_price_competition_records_lines_and_full_price_weight(buyer_user, lot):
    competition = create_competition(buyer_user, lot)
    assert competition.method == "lowest_price"
    assert competition.price_weight == 100
    assert [(line.unit, line.quantity) for line in competition.lines.all()] == [
        ("vCPU-hour", Decimal("1000.000000")), ("GB-month", Decimal("500.000000"))]
    assert AuditEvent.objects.filter(action="competition.created", target_id=str(competition.pk)).count() == 1


def test_line_unit_without_ceiling_is_refused(buyer_user, lot):
    create_competition(buyer_user, lot)
    with pytest.raises(ValidationFailed) as error:
        create_competition(buyer_user, lot, lines=[{"unit": "licence", "quantity": "3"}])
    assert list(error.value.fields) == ["lines.0.unit"]
    assert Competition.objects.count() == 1


def test_only_the_requirement_owner_can_create(buyer_user, other_buyer_user, supplier_user, lot):
    requirement = requirement_for(buyer_user, lot=lot)
    create_competition(buyer_user, lot)
    with pytest.raises(ValidationFailed):
        create_as(actor=other_buyer_user, requirement_id=requirement.pk,
                                    lines=[{"unit": "vCPU-hour", "quantity": "1"}], deadline=timezone.now() + timedelta(days=30))
    with pytest.raises(Forbidden):
        create_as(actor=supplier_user, requirement_id=requirement.pk,
                                    lines=[{"unit": "vCPU-hour", "quantity": "1"}], deadline=timezone.now() + timedelta(days=30))
    assert Competition.objects.count() == 1


# --- publication and invitations --------------------------------------------------------------------

def test_publish_invites_only_suppliers_admitted_now_and_notifies_each_once(
    buyer_user, supplier_user, other_supplier_user, lot, django_capture_on_commit_callbacks
):
    suspended = admitted_supplier(lot)
    Admission.objects.filter(supplier=org_of(suspended)).update(status=Admission.Status.SUSPENDED)
    elsewhere = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    AdmissionFactory(supplier=org_of(elsewhere), lot=LotFactory(framework=lot.framework))
    competition = create_competition(buyer_user, lot)

    with django_capture_on_commit_callbacks(execute=True):
        publish(buyer_user, competition)

    competition.refresh_from_db()
    assert competition.status == Competition.Status.PUBLISHED
    assert sorted(Invitation.objects.values_list("supplier_id", flat=True)) == sorted(
        [org_of(supplier_user).pk, org_of(other_supplier_user).pk])
    assert Notification.objects.filter(kind="competition.invited").count() == 2
    assert sorted(n.recipient_id for n in Notification.objects.filter(kind="competition.invited")) == sorted(
        [supplier_user.pk, other_supplier_user.pk])
    assert sorted(message.to[0] for message in mail.outbox) == sorted([supplier_user.email, other_supplier_user.email])

    with pytest.raises(InvalidTransition):
        publish(buyer_user, competition)
    assert Notification.objects.filter(kind="competition.invited").count() == 2
    assert Invitation.objects.count() == 2


def test_publish_with_no_admitted_supplier_is_refused(buyer_user, lot):
    competition = create_competition(buyer_user, lot)
    with pytest.raises(Conflict) as error:
        publish(buyer_user, competition)
    assert error.value.code == "no_admitted_suppliers"
    competition.refresh_from_db()
    assert competition.status == Competition.Status.DRAFT
    assert Invitation.objects.count() == 0


def test_other_buyer_cannot_publish(buyer_user, other_buyer_user, supplier_user, lot):
    competition = create_competition(buyer_user, lot)
    with pytest.raises(NotFound):
        publish(other_buyer_user, competition)
    competition.refresh_from_db()
    assert competition.status == Competition.Status.DRAFT


# --- clarifications ----------------------------------------------------------------------------------

def test_answer_is_shown_to_every_invitee_without_the_asker(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    question = services.question_ask(actor=supplier_user, competition_id=competition.pk, text="Is backup included?")
    assert list(questions_visible_to(user=other_supplier_user, competition=competition)) == []
    assert list(questions_visible_to(user=supplier_user, competition=competition)) == [question]

    services.question_answer(actor=buyer_user, competition_id=competition.pk, question_id=question.pk, answer="Yes, daily.")

    assert list(questions_visible_to(user=other_supplier_user, competition=competition)) == [question]
    answers = Notification.objects.filter(kind="competition.answer")
    assert sorted(n.recipient_id for n in answers) == sorted([supplier_user.pk, other_supplier_user.pk])
    assert all(org_of(supplier_user).name not in n.body for n in answers)
    with pytest.raises(Conflict) as error:
        services.question_answer(actor=buyer_user, competition_id=competition.pk, question_id=question.pk, answer="Again")
    assert error.value.code == "already_answered"
    assert ClarificationQuestion.objects.get().answer == "Yes, daily."


def test_questions_refused_when_clarifications_not_allowed(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, clarifications_allowed=False))
    with pytest.raises(Conflict) as error:
        services.question_ask(actor=supplier_user, competition_id=competition.pk, text="Question?")
    assert error.value.code == "clarifications_not_allowed"
    assert ClarificationQuestion.objects.count() == 0


# --- quotes -------------------------------------------------------------------------------------------

def test_quote_totals_and_replacement_keeps_history(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    first = submit(supplier_user, competition, "0.20", "0.08")
    assert first.total == Decimal("240.00")
    second = submit(supplier_user, competition, "0.19", "0.08")
    first.refresh_from_db()
    assert (first.is_current, second.is_current, second.replaces_id) == (False, True, first.pk)
    assert second.total == Decimal("230.00")
    assert Quote.objects.filter(competition=competition).count() == 2
    event = AuditEvent.objects.filter(action="competition.quote_submitted").order_by("-sequence").first()
    assert event.payload["replaces"] == first.pk
    assert "0.19" not in str(event.payload)  # sealed: the audit trail carries a hash, not the prices


def test_suspended_supplier_quote_is_refused_and_nothing_stored(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    Admission.objects.filter(supplier=org_of(supplier_user), lot=lot).update(status=Admission.Status.SUSPENDED)
    with pytest.raises(Forbidden) as error:
        submit(supplier_user, competition, "0.20", "0.08")
    assert error.value.code == "supplier_not_admitted"
    assert Quote.objects.count() == 0
    assert Invitation.objects.get().status == Invitation.Status.INVITED


def test_supplier_admitted_after_publication_was_not_invited(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    latecomer = admitted_supplier(lot)
    with pytest.raises(NotFound):  # not invited, it cannot see the competition
        submit(latecomer, competition, "0.20", "0.08")
    assert Quote.objects.count() == 0


def test_late_quote_is_refused(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    pass_deadline(competition)
    with pytest.raises(Conflict) as error:
        submit(supplier_user, competition, "0.20", "0.08")
    assert error.value.code == "deadline_passed"
    assert Quote.objects.count() == 0


def test_price_above_ceiling_is_refused(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    with pytest.raises(ValidationFailed) as error:
        submit(supplier_user, competition, "0.250001", "0.08")
    line = competition.lines.get(unit="vCPU-hour")
    assert error.value.code == "price_above_ceiling"
    assert error.value.fields == {f"lines.{line.pk}.unit_price": [
        "0.250001 is above the ceiling price of 0.25 per vCPU-hour."]}
    assert Quote.objects.count() == 0
    assert submit(supplier_user, competition, "0.25", "0.10").total == Decimal("300.00")


def test_price_above_own_listing_is_refused_but_equal_is_accepted(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.150000")
    with pytest.raises(ValidationFailed) as error:
        submit(supplier_user, competition, "0.150001", "0.08")
    assert error.value.code == "price_above_listing"
    assert Quote.objects.count() == 0
    quote = submit(supplier_user, competition, "0.15", "0.08")
    assert quote.lines.get(line__unit="vCPU-hour").listing_version.unit_price == Decimal("0.150000")
    assert quote.lines.get(line__unit="GB-month").listing_version is None


def test_naming_a_dearer_listing_raises_the_limit_to_its_price(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.150000")
    premium = published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    lines = quote_lines(competition, "0.18", "0.08")
    lines[0]["listing"] = premium.pk
    quote = quote_as(actor=supplier_user, competition_id=competition.pk, lines=lines,
                                  delivery_terms="5 days", responses=[])
    assert quote.lines.get(line__unit="vCPU-hour").listing_version_id == premium.current_version_id


def test_a_listing_whose_edit_awaits_review_still_bounds_by_its_published_version(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    listing = published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.150000")
    # An edit under review: the draft says another price and unit; buyers still see version 1.
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.SUBMITTED, unit="GB-month",
                                                 unit_price=Decimal("0.050000"), has_unpublished_changes=True)
    with pytest.raises(ValidationFailed) as error:
        submit(supplier_user, competition, "0.150001", "0.08")
    assert error.value.code == "price_above_listing"
    quote = submit(supplier_user, competition, "0.15", "0.08")
    assert quote.lines.get(line__unit="vCPU-hour").listing_version_id == listing.current_version_id
    assert quote.lines.get(line__unit="GB-month").listing_version is None


def test_weighted_quote_needs_a_response_per_criterion(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    criteria = list(competition.criteria.all())
    with pytest.raises(ValidationFailed) as error:
        quote_as(actor=supplier_user, competition_id=competition.pk,
                              lines=quote_lines(competition, "0.2", "0.08"), delivery_terms="5 days",
                              responses=[{"criterion": criteria[0].pk, "text": "24/7 desk"}])
    assert list(error.value.fields) == [f"responses.{criteria[1].pk}"]
    assert Quote.objects.count() == 0


def test_decline_then_quote_is_refused_and_quote_then_decline_too(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    services.quote_decline(actor=supplier_user, competition_id=competition.pk, reason="No capacity")
    with pytest.raises(Conflict) as error:
        submit(supplier_user, competition, "0.20", "0.08")
    assert error.value.code == "invitation_declined"
    submit(other_supplier_user, competition, "0.20", "0.08")
    with pytest.raises(Conflict) as error:
        services.quote_decline(actor=other_supplier_user, competition_id=competition.pk, reason="Changed mind")
    assert error.value.code == "already_quoted"
    assert Invitation.objects.get(supplier=org_of(supplier_user)).decline_reason == "No capacity"
    assert Invitation.objects.get(supplier=org_of(other_supplier_user)).status == Invitation.Status.QUOTED


# --- closing ------------------------------------------------------------------------------------------

def test_close_does_nothing_before_the_deadline_then_closes_once(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    assert services.competition_close(competition_id=competition.pk) is False
    competition.refresh_from_db()
    assert competition.status == Competition.Status.PUBLISHED

    pass_deadline(competition)
    assert services.competition_close(competition_id=competition.pk) is True
    assert services.competition_close(competition_id=competition.pk) is False
    competition.refresh_from_db()
    assert competition.status == Competition.Status.CLOSED
    assert competition.closed_at is not None
    assert AuditEvent.objects.filter(action="competition.closed").count() == 1
    assert Notification.objects.filter(kind="competition.closed", recipient=buyer_user).count() == 1


def test_sweep_closes_only_overdue_competitions(buyer_user, supplier_user, lot):
    overdue = publish(buyer_user, create_competition(buyer_user, lot))
    running = publish(buyer_user, create_competition(buyer_user, lot))
    draft = create_competition(buyer_user, lot)
    pass_deadline(overdue)
    Competition.objects.filter(pk=draft.pk).update(deadline=timezone.now() - timedelta(days=1))

    assert close_overdue_competitions.delay().get() == 1
    assert close_overdue_competitions.delay().get() == 0
    statuses = dict(Competition.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: "closed", running.pk: "published", draft.pk: "draft"}


# --- evaluation ---------------------------------------------------------------------------------------

def _score_all(competition, scores_by_quote):
    criteria = list(competition.criteria.all())
    return [
        {"quote": quote.pk, "scores": [
            {"criterion": criterion.pk, "score": score, "justification": f"{criterion.name}: {score}"}
            for criterion, score in zip(criteria, scores, strict=True)]}
        for quote, scores in scores_by_quote
    ]


def test_weighted_scoring_arithmetic_and_audit_payload(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    dear = submit(supplier_user, competition, "0.20", "0.08")      # 200 + 40 = 240.00
    cheap = submit(other_supplier_user, competition, "0.18", "0.09")  # 180 + 45 = 225.00
    close(competition)

    evaluate_as(actor=buyer_user, competition_id=competition.pk,
                                  evaluations=_score_all(competition, [(dear, ["100", "100"]), (cheap, ["50", "80"])]))

    dear_eval, cheap_eval = QuoteEvaluation.objects.get(quote=dear), QuoteEvaluation.objects.get(quote=cheap)
    # price: 225 / 240 × 60 = 56.25; quality: 100 × 30% + 100 × 10% = 40
    assert (dear_eval.price_score, dear_eval.quality_score, dear_eval.total_score, dear_eval.rank) == (
        Decimal("56.25"), Decimal("40.00"), Decimal("96.25"), 1)
    # price: 60.00; quality: 50 × 30% + 80 × 10% = 15 + 8 = 23
    assert (cheap_eval.price_score, cheap_eval.quality_score, cheap_eval.total_score, cheap_eval.rank) == (
        Decimal("60.00"), Decimal("23.00"), Decimal("83.00"), 2)
    event = AuditEvent.objects.get(action="competition.evaluated")
    assert [q["quote"] for q in event.payload["quotes"]] == [dear.pk, cheap.pk]
    assert [(s["score"], s["points"], s["justification"]) for s in event.payload["quotes"][1]["scores"]] == [
        ("50.00", "15.00", "Support: 50"), ("80.00", "8.00", "Exit plan: 80")]
    competition.refresh_from_db()
    assert "Ties: earliest submission" in competition.ranking_rule
    # The payload holds the rule's codes, never its sentence in the language of whoever evaluated.
    assert (event.payload["method"], "rule" in event.payload) == (competition.method, False)


def test_lowest_price_tie_goes_to_the_earliest_submission(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    first = submit(supplier_user, competition, "0.20", "0.08")
    second = submit(other_supplier_user, competition, "0.20", "0.08")
    # The first supplier replaces its quote with the same prices: its submission is now the later one.
    Quote.objects.filter(pk=second.pk).update(submitted_at=first.submitted_at + timedelta(seconds=1))
    replaced = submit(supplier_user, competition, "0.20", "0.08")
    Quote.objects.filter(pk=replaced.pk).update(submitted_at=first.submitted_at + timedelta(seconds=2))
    close(competition)

    evaluate_as(actor=buyer_user, competition_id=competition.pk,
                                  evaluations=[{"quote": replaced.pk}, {"quote": second.pk}])
    ranks = dict(QuoteEvaluation.objects.values_list("quote_id", "rank"))
    assert ranks == {second.pk: 1, replaced.pk: 2}
    assert set(QuoteEvaluation.objects.values_list("price_score", flat=True)) == {Decimal("100.00")}


def test_rejected_quote_is_kept_unranked_and_out_of_the_lowest_price(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    cheap = submit(supplier_user, competition, "0.10", "0.05")   # 125.00, rejected
    dear = submit(other_supplier_user, competition, "0.20", "0.08")  # 240.00
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[
        {"quote": cheap.pk, "rejected": True, "rejection_reason": "Abnormally low, no explanation"},
        {"quote": dear.pk},
    ])
    rejected = QuoteEvaluation.objects.get(quote=cheap)
    assert (rejected.rejected, rejected.rank, rejected.rejection_reason) == (True, None, "Abnormally low, no explanation")
    kept = QuoteEvaluation.objects.get(quote=dear)
    assert (kept.rank, kept.price_score) == (1, Decimal("100.00"))
    assert Quote.objects.filter(pk=cheap.pk).exists()


def test_incomplete_evaluation_stores_nothing(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot, weighted=True))
    first = submit(supplier_user, competition, "0.20", "0.08")
    second = submit(other_supplier_user, competition, "0.18", "0.09")
    close(competition)
    evaluations = _score_all(competition, [(first, ["100", "100"]), (second, ["50", "80"])])
    evaluations[1]["scores"][0]["justification"] = ""
    with pytest.raises(ValidationFailed) as error:
        evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=evaluations)
    criterion = competition.criteria.first()
    assert list(error.value.fields) == [f"quotes.{second.pk}.scores.{criterion.pk}.justification"]
    assert QuoteEvaluation.objects.count() == 0
    assert CriterionScore.objects.count() == 0
    competition.refresh_from_db()
    assert competition.evaluated_at is None


def test_evaluation_before_closing_is_refused(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.20", "0.08")
    with pytest.raises(Conflict) as error:
        evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[{"quote": quote.pk}])
    assert error.value.code == "not_closed"
    assert QuoteEvaluation.objects.count() == 0


# --- award --------------------------------------------------------------------------------------------

def _evaluated_pair(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    published_listing(supplier=org_of(other_supplier_user), lot=lot, unit="vCPU-hour", price="0.220000")
    top = submit(supplier_user, competition, "0.18", "0.08")          # 180 + 40 = 220.00
    runner_up = submit(other_supplier_user, competition, "0.20", "0.08")  # 200 + 40 = 240.00
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk,
                                  evaluations=[{"quote": top.pk}, {"quote": runner_up.pk}])
    return competition, top, runner_up


def test_award_to_top_quote_creates_draft_order_and_tells_every_quoting_supplier_once(
    buyer_user, supplier_user, other_supplier_user, lot
):
    competition, top, runner_up = _evaluated_pair(buyer_user, supplier_user, other_supplier_user, lot)
    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=top.pk,
                                       justification="Lowest valid price", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    competition.refresh_from_db()
    assert competition.status == Competition.Status.AWARDED
    assert competition.award == award
    assert (award.method, award.outcome, award.supplier_id) == ("competition", "awarded", org_of(supplier_user).pk)
    assert award.listing_version == top.lines.get(line__unit="vCPU-hour").listing_version
    assert (award.estimated_total, award.lowest_estimated_total, award.price_difference) == (
        Decimal("220.00"), Decimal("220.00"), Decimal("0.00"))
    assert Requirement.objects.get(pk=competition.requirement_id).status == Requirement.Status.AWARDED
    order = CallOffOrder.objects.get(award=award)
    assert (order.status, order.cap, order.start_date, order.end_date) == ("draft", Decimal("220.00"), months_from_this_month(1),
                                                                           months_from_this_month(12, day=-1))
    assert order.lines.get().unit_price == Decimal("0.180000")
    outcome = Notification.objects.filter(kind="competition.outcome")
    assert sorted(n.recipient_id for n in outcome) == sorted([supplier_user.pk, other_supplier_user.pk])
    with pytest.raises(InvalidTransition):
        award_as(actor=buyer_user, competition_id=competition.pk, quote_id=top.pk,
                                   justification="Again", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    assert Notification.objects.filter(kind="competition.outcome").count() == 2


def test_award_orders_every_quoted_line_that_has_a_listing_at_the_quoted_price(
    buyer_user, supplier_user, other_supplier_user, lot
):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    hosting = published_listing(supplier=org_of(supplier_user), lot=lot, unit="vCPU-hour", price="0.200000")
    storage = published_listing(supplier=org_of(supplier_user), lot=lot, unit="GB-month", price="0.090000")
    quote = submit(supplier_user, competition, "0.18", "0.08")
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[{"quote": quote.pk}])

    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=quote.pk,
                                       justification="Only valid quote", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())

    order = CallOffOrder.objects.get(award=award)
    assert [(line.listing_version_id, line.unit, line.unit_price) for line in order.lines.order_by("pk")] == [
        (hosting.current_version_id, "vCPU-hour", Decimal("0.180000")),
        (storage.current_version_id, "GB-month", Decimal("0.080000")),
    ]
    assert order.cap == Decimal("220.00")


def test_award_to_runner_up_requires_a_reason_and_records_the_difference(buyer_user, supplier_user, other_supplier_user, lot):
    competition, top, runner_up = _evaluated_pair(buyer_user, supplier_user, other_supplier_user, lot)
    with pytest.raises(ValidationFailed) as error:
        award_as(actor=buyer_user, competition_id=competition.pk, quote_id=runner_up.pk,
                                   justification="Better delivery", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    assert error.value.code == "justification_required"
    assert list(error.value.fields) == ["not_top_reason"]
    competition.refresh_from_db()
    assert competition.status == Competition.Status.CLOSED
    assert competition.award is None

    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=runner_up.pk,
                                       justification="Better delivery", not_top_reason="Top supplier failed the site visit",
                                       start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat(), cap="5000")
    assert (award.price_difference, award.cheaper_option_reason) == (Decimal("20.00"), "Top supplier failed the site visit")
    assert award.competition.status == Competition.Status.AWARDED


def test_award_before_evaluation_and_of_rejected_quote_are_refused(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    first = submit(supplier_user, competition, "0.18", "0.08")
    second = submit(other_supplier_user, competition, "0.20", "0.08")
    close(competition)
    with pytest.raises(Conflict) as error:
        award_as(actor=buyer_user, competition_id=competition.pk, quote_id=first.pk,
                                   justification="x", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    assert error.value.code == "not_evaluated"
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[
        {"quote": first.pk, "rejected": True, "rejection_reason": "Missing certificate"}, {"quote": second.pk}])
    with pytest.raises(Conflict) as error:
        award_as(actor=buyer_user, competition_id=competition.pk, quote_id=first.pk,
                                   justification="x", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    assert error.value.code == "quote_rejected"
    competition.refresh_from_db()
    assert (competition.status, competition.award_id) == ("closed", None)


def test_award_without_a_listing_behind_the_quote_makes_no_order(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    quote = submit(supplier_user, competition, "0.18", "0.08")
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk, evaluations=[{"quote": quote.pk}])
    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=quote.pk,
                                       justification="Only quote", start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat())
    assert award.listing_version is None
    assert CallOffOrder.objects.count() == 0
    assert AuditEvent.objects.get(action="competition.awarded").payload["order"] is None


def test_no_award_needs_a_reason_and_tells_quoting_suppliers_once(buyer_user, supplier_user, other_supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    submit(supplier_user, competition, "0.18", "0.08")
    services.quote_decline(actor=other_supplier_user, competition_id=competition.pk, reason="No capacity")
    close(competition)
    with pytest.raises(ValidationFailed):
        services.competition_no_award(actor=buyer_user, competition_id=competition.pk, reason=" ")
    competition.refresh_from_db()
    assert competition.status == Competition.Status.CLOSED
    award = services.competition_no_award(actor=buyer_user, competition_id=competition.pk, reason="Budget withdrawn")
    assert (award.outcome, award.justification, award.supplier_id) == ("no_award", "Budget withdrawn", None)
    assert [n.recipient_id for n in Notification.objects.filter(kind="competition.outcome")] == [supplier_user.pk]
    assert Requirement.objects.get(pk=competition.requirement_id).status == Requirement.Status.OPEN


def test_cancel_tells_invitees_and_stops_quotes(buyer_user, supplier_user, lot):
    competition = publish(buyer_user, create_competition(buyer_user, lot))
    services.competition_cancel(actor=buyer_user, competition_id=competition.pk, reason="Need changed")
    assert Notification.objects.filter(kind="competition.cancelled", recipient=supplier_user).count() == 1
    with pytest.raises(Conflict) as error:
        submit(supplier_user, competition, "0.18", "0.08")
    assert error.value.code == "competition_not_open"
    assert Quote.objects.count() == 0


# --- the one date rule (common.parsing): an order may end on the day it starts, never before ----------

def test_an_award_order_may_end_on_its_start_day(buyer_user, supplier_user, other_supplier_user, lot):
    competition, top, _runner_up = _evaluated_pair(buyer_user, supplier_user, other_supplier_user, lot)
    day = timezone.localdate() + timedelta(days=10)
    award = award_as(actor=buyer_user, competition_id=competition.pk, quote_id=top.pk,
                     justification="Lowest valid price", start=day.isoformat(), end=day.isoformat())
    order = CallOffOrder.objects.get(award=award)
    assert (order.start_date, order.end_date) == (day, day)


def test_an_award_order_ending_before_it_starts_is_refused_and_nothing_changes(
    buyer_user, supplier_user, other_supplier_user, lot
):
    competition, top, _runner_up = _evaluated_pair(buyer_user, supplier_user, other_supplier_user, lot)
    day = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationFailed) as error:
        award_as(actor=buyer_user, competition_id=competition.pk, quote_id=top.pk, justification="Lowest valid price",
                 start=day.isoformat(), end=(day - timedelta(days=1)).isoformat())
    assert error.value.fields == {"end": ["Enter a date on or after the start date."]}
    competition.refresh_from_db()
    assert (competition.status, competition.award_id) == (Competition.Status.CLOSED, None)
    assert Award.objects.count() == 0
