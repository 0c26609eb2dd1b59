"""One demo request for quotation for user "buyer": published, with quotes from "supplier" and "supplier2".

Goes through the real services (requirement, competition, publish, quotes), so its audit trail is a
buyer's. The deadline is the earliest the framework allows (two business days from seeding), so the
quotes stay sealed until then: the demo shows a live competition from both sides, and after the
deadline the buyer can evaluate and award it. Idempotent: skipped when the demo requirement exists.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import FrameworkAgreement
from common.business_days import earliest_deadline
from common.money import round_price
from marketplace.competitions import services as competitions
from marketplace.competitions.inputs import CompetitionDraft, LineSpec, QuoteInput, QuoteLineInput
from marketplace.competitions.selectors import listings_for_quote_line
from marketplace.selection import services as selection
from marketplace.selection.inputs import EstimateInput, RequirementInput
from marketplace.selection.models import Requirement

DEMO_TITLE = "Paper and toner for the regional offices"
LINES = [("ream", "400"), ("cartridge", "24")]  # a quarter's paper and toner for the offices
QUOTERS = [("supplier", Decimal("0.93")), ("supplier2", Decimal("0.96"))]  # share of the highest allowed price


def seed_competition(out) -> None:
    users = get_user_model().objects
    buyer = users.filter(username="buyer").first()
    framework = FrameworkAgreement.objects.filter(reference="FA-2026-OFFICE").first()
    if buyer is None or framework is None:
        out("  skipped: no demo buyer or office framework")
        return
    if Requirement.objects.filter(title=DEMO_TITLE, created_by=buyer).exists():
        out("  demo request for quotation already loaded")
        return
    lot = framework.lots.get(number=1)
    ceilings = {ceiling.unit: ceiling.max_unit_price for ceiling in lot.ceiling_prices.all()}
    lines = [(unit, quantity) for unit, quantity in LINES if unit in ceilings]
    start = max(timezone.localdate(), framework.start_date)
    requirement = selection.requirement_create(
        actor=buyer, details=RequirementInput(
            title=DEMO_TITLE, framework_id=framework.pk, lot_id=lot.pk,
            description="Paper and toner cartridges for the twelve regional offices for the next quarter.",
            budget=Decimal("30000.00"), period_start=start,
            period_end=min(start + timedelta(days=90), framework.end_date)),
        estimates=[EstimateInput(unit=unit, quantity=Decimal(quantity)) for unit, quantity in lines],
    )
    deadline = earliest_deadline(timezone.now(), framework.min_quotation_business_days,
                                country=framework.country) + timedelta(hours=1)
    competition = competitions.competition_create(actor=buyer, draft=CompetitionDraft(
        requirement_id=requirement.pk, lot_id=lot.pk, deadline=deadline,
        lines=tuple(LineSpec(unit=unit, quantity=Decimal(quantity)) for unit, quantity in lines),
        description="Deliver to each regional office within five business days of each call.",
    ))
    competition = competitions.competition_publish(actor=buyer, competition_id=competition.pk)
    quoted = []
    for username, share in QUOTERS:
        user = users.filter(username=username).first()
        membership = user.memberships.select_related("organization").first() if user else None
        if membership is None:
            continue
        prices = []
        for line in competition.lines.all():
            listing = listings_for_quote_line(supplier=membership.organization, lot=lot, unit=line.unit).first()
            highest = min(ceilings[line.unit], listing.current_version.unit_price if listing else ceilings[line.unit])
            prices.append(QuoteLineInput(line_id=line.pk, unit_price=round_price(highest * share)))
        competitions.quote_submit(actor=user, competition_id=competition.pk, quote=QuoteInput(
            lines=tuple(prices), delivery_terms="Delivered to each office within five business days."))
        quoted.append(membership.organization.name)
    local_deadline = timezone.localtime(competition.deadline)
    out(f"  request for quotation published to {competition.invitations.count()} suppliers, deadline "
        f"{local_deadline:%Y-%m-%d %H:%M}; sealed quotes from {', '.join(quoted) or 'nobody'}")
