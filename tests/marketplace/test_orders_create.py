from datetime import date
from decimal import Decimal

import pytest

from agreements.models import FrameworkAgreement, Membership, Organization
from audit.models import AuditEvent
from common.errors import Conflict, Forbidden, ValidationFailed
from marketplace.orders.models import CallOffOrder, OrderLine
from marketplace.orders.services import add_months, order_create_from_award
from marketplace.selection.models import Award
from tests.clock import months_from_this_month
from tests.factories import member
from tests.marketplace.factories_orders import AwardFactory, ListingVersionFactory

pytestmark = pytest.mark.django_db


def _award(**kwargs):
    award = AwardFactory(**kwargs)
    requester = member(Organization.Kind.BUYER, Membership.Role.REQUESTER, organization=award.organization)
    return award, requester


def test_order_create_from_award_makes_a_draft_with_one_line_at_the_version_price():
    award, requester = _award()

    order = order_create_from_award(actor=requester, award=award, cap="1500.00", start=months_from_this_month(-9),
                                    end=months_from_this_month(2, day=-1))

    order.refresh_from_db()
    assert order.status == CallOffOrder.Status.DRAFT
    assert order.reference == f"CO-{order.created_at:%Y}-{order.pk:06d}"
    assert (order.buyer_id, order.supplier_id, order.framework_id) == (
        award.organization_id, award.supplier_id, award.framework_id)
    assert (order.cap, order.original_cap, order.spent) == (Decimal("1500.00"), Decimal("1500.00"), Decimal("0.00"))
    assert order.created_by == requester
    line = order.lines.get()
    assert (line.listing_version_id, line.unit, line.unit_price, line.cap) == (
        award.listing_version_id, "vCPU-hour", Decimal("0.200000"), None)
    event = AuditEvent.objects.get(action="order.created")
    assert event.target_id == str(order.pk)
    assert event.payload["cap"] == "1500.00"


def test_order_create_from_award_takes_a_lower_quote_price():
    award, requester = _award(method=Award.Method.COMPETITION)

    order = order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                    end=months_from_this_month(0, day=-1), unit_price=Decimal("0.180000"))

    assert order.lines.get().unit_price == Decimal("0.180000")


def test_order_create_from_award_refuses_a_price_above_the_version():
    award, requester = _award()

    with pytest.raises(ValidationFailed) as error:
        order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                end=months_from_this_month(0, day=-1), unit_price="0.200001")

    assert error.value.code == "price_above_listing"
    assert list(error.value.fields) == ["unit_price"]
    assert CallOffOrder.objects.count() == 0
    assert OrderLine.objects.count() == 0


@pytest.mark.parametrize(
    ("cap", "start", "end", "field"),
    [
        ("0", months_from_this_month(-9), months_from_this_month(0, day=-1), "cap"),
        ("-5.00", months_from_this_month(-9), months_from_this_month(0, day=-1), "cap"),
        ("10.001", months_from_this_month(-9), months_from_this_month(0, day=-1), "cap"),
        ("lots", months_from_this_month(-9), months_from_this_month(0, day=-1), "cap"),
        ("100.00", months_from_this_month(-9), months_from_this_month(-10, day=-1), "end"),
        ("100.00", months_from_this_month(-12, day=-1), months_from_this_month(0, day=-1), "start"),
        ("100.00", months_from_this_month(13), months_from_this_month(25), "end"),
        # The framework allows 24 months: the 1st of a month .. the last day 23 months later is the longest term.
        ("100.00", months_from_this_month(-9), months_from_this_month(15), "end"),
        ("100.00", "2026-13-01", months_from_this_month(0, day=-1), "start"),
    ],
)
def test_order_create_from_award_validates_cap_and_dates(cap, start, end, field):
    award, requester = _award()

    with pytest.raises(ValidationFailed) as error:
        order_create_from_award(actor=requester, award=award, cap=cap, start=start, end=end)

    assert field in error.value.fields
    assert CallOffOrder.objects.count() == 0


def test_order_create_from_award_accepts_the_longest_term_exactly():
    award, requester = _award()

    order = order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                    end=months_from_this_month(14, day=-1))

    assert order.end_date == months_from_this_month(14, day=-1)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2027, 3, 31), 11) == date(2028, 2, 29)


def test_order_create_from_award_refuses_another_organization_and_a_second_order():
    award, requester = _award()
    outsider = member(Organization.Kind.BUYER, Membership.Role.REQUESTER)

    with pytest.raises(Forbidden):
        order_create_from_award(actor=outsider, award=award, cap="100.00", start=months_from_this_month(-9),
                                end=months_from_this_month(0, day=-1))
    order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                            end=months_from_this_month(0, day=-1))
    with pytest.raises(Conflict) as error:
        order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                end=months_from_this_month(0, day=-1))

    assert error.value.code == "order_exists"
    assert CallOffOrder.objects.count() == 1


def test_order_create_from_award_needs_a_live_framework():
    version = ListingVersionFactory(listing__framework__status=FrameworkAgreement.Status.EXPIRED)
    award, requester = _award(listing_version=version)

    with pytest.raises(Conflict) as error:
        order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                end=months_from_this_month(0, day=-1))

    assert error.value.code == "framework_not_live"
    assert CallOffOrder.objects.count() == 0


def test_order_create_from_award_refuses_a_no_award():
    award, requester = _award(outcome=Award.Outcome.NO_AWARD)

    with pytest.raises(Conflict):
        order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                end=months_from_this_month(0, day=-1))

    assert CallOffOrder.objects.count() == 0


def test_an_order_may_end_on_the_day_it_starts_but_not_before():
    award, requester = _award()

    with pytest.raises(ValidationFailed) as error:
        order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9, day=2),
                                end=months_from_this_month(-9))
    assert CallOffOrder.objects.count() == 0
    order = order_create_from_award(actor=requester, award=award, cap="100.00", start=months_from_this_month(-9),
                                    end=months_from_this_month(-9))

    assert error.value.fields == {"end": ["Enter a date on or after the start date."]}
    assert (order.start_date, order.end_date) == (months_from_this_month(-9), months_from_this_month(-9))


def test_a_bad_cap_and_bad_dates_are_refused_together():
    award, requester = _award()

    with pytest.raises(ValidationFailed) as error:
        order_create_from_award(actor=requester, award=award, cap="lots", start="2026-13-01", end="")

    assert error.value.fields == {"cap": ["Enter a number, such as 1500.00."],
                                  "start": ["Enter a date as YYYY-MM-DD."], "end": ["Enter a date as YYYY-MM-DD."]}
    assert CallOffOrder.objects.count() == 0
