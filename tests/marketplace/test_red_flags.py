"""Red flags: each rule on data that should raise it and on data just the other side of its
threshold, the idempotent refresh, the beat task, and the flags page and API for oversight."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from html import unescape as html_unescape

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone, translation

from agreements.models import Organization
from audit.models import AuditEvent
from marketplace.orders.models import CallOffOrder, CapAmendment, UsageRecord
from marketplace.oversight.models import RedFlag
from marketplace.oversight.services import DEFAULT_THRESHOLDS, red_flags_compute, red_flags_refresh, thresholds
from marketplace.oversight.tasks import refresh_red_flags
from marketplace.selection.models import Award
from tests import clock
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import OrganizationFactory
from tests.marketplace.factories_competitions import (
    close,
    create_competition,
    org_of,
    publish,
    published_listing,
    submit,
)
from tests.marketplace.factories_orders import AwardFactory, ListingFactory, ListingVersionFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = clock.at(clock.days_from_today(-14), 12)  # an anchor in the recent past


def kinds(kind: str) -> list[str]:
    return sorted(finding.key for finding in red_flags_compute() if finding.kind == kind)


def at(model, pk, when):
    model.objects.filter(pk=pk).update(created_at=when)


def test_documented_defaults_are_the_settings_defaults():
    assert django_settings.MARKETPLACE_RED_FLAGS == DEFAULT_THRESHOLDS
    assert thresholds()["SPLIT_PURCHASE_THRESHOLD"] == Decimal("50000.00")
    assert thresholds()["CAP_RAISE_MAX_SHARE"] == Decimal("0.20")


# --- award not to the lowest ----------------------------------------------------------------------


def test_award_above_the_lowest_is_flagged_and_an_award_at_the_lowest_is_not():
    dearer = AwardFactory(estimated_total=Decimal("2000.00"), lowest_estimated_total=Decimal("1800.00"),
                          price_difference=Decimal("200.00"), cheaper_option_reason="Better uptime.")
    AwardFactory(estimated_total=Decimal("1800.00"), lowest_estimated_total=Decimal("1800.00"),
                 price_difference=Decimal("0.00"))
    AwardFactory(outcome=Award.Outcome.NO_AWARD, listing_version=None, supplier=None,
                 framework=dearer.framework, estimated_total=None)

    findings = [finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.NOT_LOWEST]

    assert [finding.key for finding in findings] == [f"not_lowest:award:{dearer.pk}"]
    assert findings[0].award_id == dearer.pk
    assert findings[0].explanation == (
        'The buyer chose an option costing 2,000.00 PEN when the lowest was 1,800.00: 200.00 more. '
        'Read the reason given: "Better uptime."'
    )


def test_not_lowest_minimum_difference_is_exclusive(settings):
    settings.MARKETPLACE_RED_FLAGS = {"NOT_LOWEST_MIN_DIFFERENCE": "200.00"}
    at_limit = AwardFactory(estimated_total=Decimal("2000.00"), lowest_estimated_total=Decimal("1800.00"),
                            price_difference=Decimal("200.00"))
    above = AwardFactory(estimated_total=Decimal("2000.01"), lowest_estimated_total=Decimal("1800.00"),
                         price_difference=Decimal("200.01"))
    assert kinds(RedFlag.Kind.NOT_LOWEST) == [f"not_lowest:award:{above.pk}"]
    assert at_limit.pk != above.pk


# --- single quote -------------------------------------------------------------------------------------


def test_closed_competition_with_one_quote_is_flagged_and_with_two_is_not(buyer_user, supplier_user,
                                                                           other_supplier_user, lot):
    lonely = publish(buyer_user, create_competition(buyer_user, lot))
    contested = publish(buyer_user, create_competition(buyer_user, lot))
    still_open = publish(buyer_user, create_competition(buyer_user, lot))
    for user, price in ((supplier_user, "0.200000"), (other_supplier_user, "0.220000")):
        published_listing(supplier=org_of(user), lot=lot, unit="vCPU-hour", price=price)
    submit(supplier_user, lonely, "0.18", "0.08")
    submit(supplier_user, contested, "0.18", "0.08")
    submit(other_supplier_user, contested, "0.19", "0.08")
    submit(supplier_user, still_open, "0.18", "0.08")
    close(lonely)
    close(contested)

    findings = [finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.SINGLE_QUOTE]

    assert [(finding.key, finding.competition_id, finding.supplier_id) for finding in findings] == [
        (f"single_quote:competition:{lonely.pk}", lonely.pk, org_of(supplier_user).pk)]
    assert findings[0].explanation == (
        f'Only one supplier quoted in the competition "{lonely.title}" (2 invited), so there was no real '
        "price competition."
    )


# --- repeated direct awards -------------------------------------------------------------------------


def _direct_awards(buyer, version, days_before_now: list[int], method=Award.Method.DIRECT) -> list[Award]:
    awards = []
    for days in days_before_now:
        award = AwardFactory(organization=buyer, listing_version=version, method=method)
        at(Award, award.pk, NOW - timedelta(days=days))
        awards.append(award)
    return awards


def test_fourth_direct_award_to_the_same_supplier_within_the_window_is_flagged():
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    version = ListingVersionFactory()
    awards = _direct_awards(buyer, version, [90, 60, 30, 0])  # oldest exactly 90 days before the 4th: inside

    findings = [finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.REPEATED_DIRECT_AWARDS]

    assert [finding.award_id for finding in findings] == [awards[3].pk]
    assert findings[0].details == {"awards": [award.pk for award in awards], "count": 4}
    assert "4 times within 90 days (more than 3)" in findings[0].explanation


def test_three_direct_awards_or_four_spread_beyond_the_window_are_not_flagged():
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    other_buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    version = ListingVersionFactory()
    _direct_awards(buyer, version, [91, 60, 30, 0])  # the first falls one day outside the window
    _direct_awards(other_buyer, version, [20, 10, 0])  # only three
    _direct_awards(other_buyer, version, [5], method=Award.Method.COMPETITION)  # not direct
    assert kinds(RedFlag.Kind.REPEATED_DIRECT_AWARDS) == []


# --- split purchases --------------------------------------------------------------------------------


def _orders(buyer, version, caps_and_days: list[tuple[str, int]], status=CallOffOrder.Status.ACTIVE):
    orders = []
    for cap, days in caps_and_days:
        order = OrderFactory(buyer=buyer, version=version, cap=Decimal(cap), status=status)
        at(CallOffOrder, order.pk, NOW - timedelta(days=days))
        orders.append(order)
    return orders


def test_orders_each_below_the_threshold_but_together_above_it_are_flagged():
    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    version = ListingVersionFactory()
    first, second = _orders(buyer, version, [("30000.00", 30), ("25000.00", 0)])  # 30 days apart: inside

    findings = [finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.SPLIT_PURCHASES]

    assert [(finding.order_id, finding.details["total"]) for finding in findings] == [(second.pk, "55000.00")]
    assert findings[0].explanation == (
        "2 orders from this buyer to the same supplier within 30 days each stay below 50,000.00 PEN but "
        f"together come to 55,000.00 ({first.reference}, {second.reference}). The purchase may have been "
        "split to stay under a limit."
    )


def test_split_purchase_boundaries_are_not_flagged():
    version = ListingVersionFactory()
    exactly = OrganizationFactory(kind=Organization.Kind.BUYER)
    _orders(exactly, version, [("30000.00", 10), ("20000.00", 0)])  # together exactly the threshold
    apart = OrganizationFactory(kind=Organization.Kind.BUYER)
    _orders(apart, version, [("30000.00", 31), ("25000.00", 0)])  # 31 days apart
    big = OrganizationFactory(kind=Organization.Kind.BUYER)
    _orders(big, version, [("50000.00", 5), ("10000.00", 0)])  # one order is not below the threshold
    drafts = OrganizationFactory(kind=Organization.Kind.BUYER)
    _orders(drafts, version, [("30000.00", 5), ("25000.00", 0)], status=CallOffOrder.Status.DRAFT)
    assert kinds(RedFlag.Kind.SPLIT_PURCHASES) == []


# --- cap raised -------------------------------------------------------------------------------------


def _amend(order, *caps: str):
    previous = order.cap
    for cap in caps:
        CapAmendment.objects.create(order=order, previous_cap=previous, new_cap=Decimal(cap),
                                    spent_at_amendment=Decimal("0.00"), justification="More use",
                                    amended_by=order.created_by)
        previous = Decimal(cap)
    CallOffOrder.objects.filter(pk=order.pk).update(cap=previous)


def test_cap_raised_by_more_than_the_share_is_flagged_even_if_lowered_again():
    exactly = OrderFactory(cap=Decimal("100.00"))
    _amend(exactly, "120.00")  # exactly 20 %: not flagged
    above = OrderFactory(cap=Decimal("100.00"))
    _amend(above, "120.01")
    up_and_down = OrderFactory(cap=Decimal("100.00"))
    _amend(up_and_down, "150.00", "110.00")

    findings = {finding.order_id: finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.CAP_RAISED}

    assert sorted(findings) == [above.pk, up_and_down.pk]
    assert findings[up_and_down.pk].details == {"original_cap": "100.00", "highest_cap": "150.00", "amendments": 2}
    assert findings[above.pk].explanation == (
        f"The cap of order {above.reference} was raised from 100.00 to 120.01 PEN (20% more; red flag above 20%). "
        "A large raise may amount to a new purchase without a new selection."
    )


# --- late usage -------------------------------------------------------------------------------------


def _usage(order, posted: datetime, status=UsageRecord.Status.ACCEPTED, key: str = "") -> UsageRecord:
    record = UsageRecord.objects.create(
        order=order, line=order.lines.get(), quantity=Decimal("10"), occurred_at=posted, status=status,
        reason="" if status == UsageRecord.Status.ACCEPTED else UsageRecord.Reason.CAP_EXCEEDED,
        idempotency_key=key or f"k-{posted.isoformat()}", amount=Decimal("2.00"), remaining_after=Decimal("98.00"),
    )
    at(UsageRecord, record.pk, posted)
    return record


def test_usage_posted_within_the_last_days_or_after_the_end_is_flagged():
    tz = timezone.get_current_timezone()
    order = OrderFactory(end_date=months_from_this_month(0, day=-1))
    end = datetime.combine(order.end_date, time(), tzinfo=tz)
    _usage(order, end - timedelta(days=3, minutes=1))  # one day before the window
    inside = _usage(order, end - timedelta(days=3))  # end − 3 days: inside
    after = _usage(order, end + timedelta(days=2, hours=9))

    findings = [finding for finding in red_flags_compute() if finding.kind == RedFlag.Kind.LATE_USAGE]

    assert len(findings) == 1
    assert findings[0].details == {"records": [inside.pk, after.pk], "amount": "4.00", "after_end": 1,
                                   "end_date": order.end_date.isoformat()}
    assert findings[0].explanation == (
        f"2 usage records worth 4.00 PEN were posted within 3 days of the end of order {order.reference} "
        f"(ends {order.end_date}), 1 of them after it ended. Late usage can be a way to use up the cap."
    )


def test_early_or_rejected_usage_is_not_flagged():
    tz = timezone.get_current_timezone()
    order = OrderFactory(end_date=months_from_this_month(0, day=-1))
    end = datetime.combine(order.end_date, time(), tzinfo=tz)
    _usage(order, end - timedelta(days=3, minutes=1))
    _usage(order, end + timedelta(days=5), status=UsageRecord.Status.REJECTED)
    assert kinds(RedFlag.Kind.LATE_USAGE) == []


# --- price raised before the award -------------------------------------------------------------------


def _listing_with_prices(*prices_and_days: tuple[str, int]):
    listing = ListingFactory(unit_price=Decimal(prices_and_days[-1][0]))
    versions = []
    for number, (price, days) in enumerate(prices_and_days, start=1):
        versions.append(ListingVersionFactory(listing=listing, number=number, unit_price=Decimal(price),
                                              published_at=NOW - timedelta(days=days)))
    return versions


def _award_of(version) -> Award:
    award = AwardFactory(listing_version=version)
    at(Award, award.pk, NOW)
    return award


def test_price_raised_within_the_window_before_the_award_is_flagged():
    cheap, raised = _listing_with_prices(("0.150000", 10), ("0.200000", 5))
    award = _award_of(raised)
    old_cheap, recent_raise = _listing_with_prices(("0.150000", 40), ("0.200000", 5))  # cheap one in force at start
    award_after_old_price = _award_of(recent_raise)

    findings = {finding.award_id: finding for finding in red_flags_compute()
                if finding.kind == RedFlag.Kind.PRICE_RAISED_BEFORE_AWARD}

    assert sorted(findings) == [award.pk, award_after_old_price.pk]
    assert findings[award.pk].details["earlier_version"] == cheap.pk
    assert findings[award_after_old_price.pk].details["earlier_version"] == old_cheap.pk
    assert findings[award.pk].explanation == (
        f'The supplier\'s price for "{raised.title}" was 0.150000 per vCPU-hour (version 1) within 30 days '
        "before the award and 0.200000 (version 2) when it was awarded."
    )


def test_price_raised_before_the_window_or_lowered_is_not_flagged():
    _old, raised_long_ago = _listing_with_prices(("0.150000", 40), ("0.200000", 31))  # raise before the window
    _award_of(raised_long_ago)
    _dear, lowered = _listing_with_prices(("0.200000", 10), ("0.150000", 5))
    _award_of(lowered)
    assert kinds(RedFlag.Kind.PRICE_RAISED_BEFORE_AWARD) == []


# --- refresh ------------------------------------------------------------------------------------------


def test_refresh_is_idempotent_and_clears_and_reopens_with_the_thresholds(settings):
    award = AwardFactory(estimated_total=Decimal("2000.00"), lowest_estimated_total=Decimal("1800.00"),
                         price_difference=Decimal("200.00"))
    order = OrderFactory(cap=Decimal("100.00"))
    _amend(order, "150.00")
    events = AuditEvent.objects.count()

    first = red_flags_refresh()
    stored = list(RedFlag.objects.order_by("key").values_list("key", "raised_at"))
    second = red_flags_refresh()

    assert (first.raised, first.confirmed, first.cleared) == (2, 0, 0)
    assert (second.raised, second.confirmed, second.cleared) == (0, 2, 0)
    assert list(RedFlag.objects.order_by("key").values_list("key", "raised_at")) == stored
    assert [key for key, _raised in stored] == [f"cap_raised:order:{order.pk}", f"not_lowest:award:{award.pk}"]
    assert AuditEvent.objects.count() == events + 1  # the second refresh changed nothing, so recorded nothing
    assert AuditEvent.objects.last().payload == {"raised": 2, "cleared": 0, "active": 2}

    settings.MARKETPLACE_RED_FLAGS = {"CAP_RAISE_MAX_SHARE": "0.50"}
    cleared = red_flags_refresh()
    assert (cleared.raised, cleared.confirmed, cleared.cleared) == (0, 1, 1)
    assert RedFlag.objects.get(kind=RedFlag.Kind.CAP_RAISED).cleared_at is not None

    settings.MARKETPLACE_RED_FLAGS = {}
    reopened = red_flags_refresh()
    assert (reopened.raised, reopened.confirmed, reopened.cleared) == (1, 1, 0)
    assert RedFlag.objects.count() == 2
    assert RedFlag.objects.filter(cleared_at__isnull=True).count() == 2


def test_beat_task_refreshes_and_is_scheduled():
    AwardFactory(estimated_total=Decimal("2.00"), lowest_estimated_total=Decimal("1.00"),
                 price_difference=Decimal("1.00"))
    assert refresh_red_flags.delay().get() == {"raised": 1, "confirmed": 0, "cleared": 0}
    assert refresh_red_flags.delay().get() == {"raised": 0, "confirmed": 1, "cleared": 0}
    assert django_settings.CELERY_BEAT_SCHEDULE["refresh-red-flags"]["task"] == "marketplace.oversight.tasks.refresh_red_flags"


# --- pages and API -----------------------------------------------------------------------------------


def test_flags_page_shows_the_chart_by_buyer_and_links_each_flag_to_its_trail(auditor_user):
    clinic = OrganizationFactory(kind=Organization.Kind.BUYER, name="Clinic <North>")
    award = AwardFactory(organization=clinic, estimated_total=Decimal("2.00"), lowest_estimated_total=Decimal("1.00"),
                         price_difference=Decimal("1.00"))
    OrderFactory(buyer=clinic, cap=Decimal("100.00"))
    _amend(CallOffOrder.objects.get(buyer=clinic), "200.00")
    red_flags_refresh()
    client = Client()
    client.force_login(auditor_user)

    response = client.get("/oversight/flags/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert "<desc id=\"flags-chart-desc\">Clinic &lt;North&gt;: 2</desc>" in html
    assert f'<a href="/oversight/selections/{award.pk}/">Read the trail</a>' in html
    assert "<script" not in html


def test_an_auditor_checks_the_record_now_and_sees_the_new_flag(auditor_user, buyer_user):
    order = OrderFactory(cap=Decimal("100.00"))
    _amend(order, "200.00")  # raised by 100 %: flagged once the rules run
    client = Client()
    client.force_login(auditor_user)
    before = client.get("/oversight/flags/").content.decode()

    checked = client.post("/oversight/flags/check/", follow=True)

    assert order.reference not in before
    assert "Checked now: 1 raised, 0 cleared, 0 still found." in checked.content.decode()
    assert order.reference in checked.content.decode()
    assert RedFlag.objects.filter(order=order, kind=RedFlag.Kind.CAP_RAISED, cleared_at__isnull=True).count() == 1
    # A buyer may not run the check: refused, and nothing is recomputed (a new raise stays unflagged).
    second = OrderFactory(cap=Decimal("100.00"))
    _amend(second, "300.00")
    other = Client()
    other.force_login(buyer_user)
    assert other.post("/oversight/flags/check/").status_code == 403
    assert not RedFlag.objects.filter(order=second).exists()


def test_flags_api_lists_explanations_with_trail_links_for_oversight_only(auditor_user, buyer_user):
    award = AwardFactory(estimated_total=Decimal("2.00"), lowest_estimated_total=Decimal("1.00"),
                         price_difference=Decimal("1.00"))
    red_flags_refresh()

    body = client_for(auditor_user).get("/api/v1/oversight/flags/?kind=not_lowest").json()

    assert body["count"] == 1
    assert body["results"][0]["trail"] == f"/api/v1/oversight/selections/{award.pk}/"
    assert body["results"][0]["title"] == "Award not to the lowest estimated total"
    assert client_for(buyer_user).get("/api/v1/oversight/flags/").status_code == 403
    refused = client_for(auditor_user).get("/api/v1/oversight/flags/?kind=bogus&buyer=x")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"kind": ["Unknown kind of red flag."],
                                                 "buyer": ["Choose one from the list."]}
    assert client_for(auditor_user).get(f"/api/v1/oversight/flags/?buyer={award.organization_id}").json()["count"] == 1
    assert client_for(auditor_user).get(f"/api/v1/oversight/flags/?buyer={award.organization_id + 1000}").json()[
        "count"] == 0


# --- explanations in the reader's language ---------------------------------------------------------

ENGLISH_NOT_LOWEST = ('The buyer chose an option costing 2,000.00 PEN when the lowest was 1,800.00: 200.00 more. '
                      'Read the reason given: "none recorded"')
SPANISH_NOT_LOWEST = ("La entidad compradora eligió una opción que cuesta 2.000,00 PEN cuando la menor era 1.800,00: "
                      '200,00 más. Lea el motivo indicado: "ninguno registrado"')


def test_a_flag_raised_in_spanish_reads_in_each_readers_language(auditor_user):
    award = AwardFactory(estimated_total=Decimal("2000.00"), lowest_estimated_total=Decimal("1800.00"),
                         price_difference=Decimal("200.00"), cheaper_option_reason="")
    with translation.override("es"):
        red_flags_refresh()

    flag = RedFlag.objects.get(award=award)
    # Stored as a code and plain values, never as a sentence in the language active when it was raised.
    assert (flag.explanation_code, flag.explanation) == ("not_lowest", "")
    assert flag.explanation_params == {"chosen": "2000.00", "lowest": "1800.00", "difference": "200.00",
                                       "currency": "PEN", "reason": ""}
    api = client_for(auditor_user)
    english = api.get("/api/v1/oversight/flags/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    spanish = api.get("/api/v1/oversight/flags/", HTTP_ACCEPT_LANGUAGE="es").json()["results"]
    assert [row["explanation"] for row in english] == [ENGLISH_NOT_LOWEST]
    assert [row["explanation"] for row in spanish] == [SPANISH_NOT_LOWEST]
    trail = api.get(f"/api/v1/oversight/selections/{award.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert trail["flags"] == [{"kind": "not_lowest", "explanation": ENGLISH_NOT_LOWEST}]

    for language, expected, other in (("en", ENGLISH_NOT_LOWEST, SPANISH_NOT_LOWEST),
                                      ("es", SPANISH_NOT_LOWEST, ENGLISH_NOT_LOWEST)):
        page = Client(HTTP_ACCEPT_LANGUAGE=language)
        page.force_login(auditor_user)
        html = html_unescape(page.get("/oversight/flags/").content.decode())
        assert expected in html and other not in html


def test_a_flag_stored_before_codes_shows_its_stored_text(auditor_user):
    award = AwardFactory(estimated_total=Decimal("2.00"), lowest_estimated_total=Decimal("1.00"),
                         price_difference=Decimal("1.00"))
    red_flags_refresh()
    RedFlag.objects.filter(award=award).update(explanation_code="", explanation_params={},
                                               explanation="Texto guardado antes de los códigos.")

    body = client_for(auditor_user).get("/api/v1/oversight/flags/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert [row["explanation"] for row in body["results"]] == ["Texto guardado antes de los códigos."]
    red_flags_refresh()  # the next refresh stores the code, and the stored text is no longer needed
    assert RedFlag.objects.get(award=award).explanation_code == "not_lowest"
    assert RedFlag.objects.get(award=award).explanation == ""
