"""A seeded marketplace with an object in every state a page can show, for the page-by-page checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog import services as catalog
from marketplace.competitions.models import Quote
from marketplace.orders import services as orders
from marketplace.oversight.services import red_flags_refresh
from marketplace.selection import services as selection
from marketplace.selection.inputs import EstimateInput, RequirementInput
from tests.browser.world import award_and_draft_order, build_world
from tests.factories import listing_data
from tests.marketplace.factories_competitions import close, create_competition, evaluate_as, publish, submit


def seed() -> dict:
    """Build the world and return the ids the page list needs."""
    world = build_world()
    users, lot = world.users, world.lot
    ids = {"lot": lot.pk, "framework": world.framework.pk, "backup_vault": world.listings["Backup vault"].pk}

    # Supplier listings in every state of the review: draft, submitted, rejected.
    def draft(title):
        return catalog.listing_create(actor=users["supplier"], framework=world.framework, lot=lot, data=listing_data(
            title=title, categories=[world.needs["backup"].pk], attributes={"data_location": "peru"}))

    ids["draft_listing"] = draft("Draft offsite copies").pk
    submitted = catalog.listing_submit(actor=users["supplier"], listing=draft("Submitted snapshot service"))
    ids["submitted_listing"] = submitted.pk
    rejected = catalog.listing_submit(actor=users["supplier"], listing=draft("Rejected tape service"))
    ids["rejected_listing"] = catalog.listing_reject(actor=users["authority"], listing=rejected,
                                                     reason="Say where the tapes are kept.").pk

    # Selections: an awarded one (draft order), one awarded with an active order and usage, an open
    # requirement with an open search, and one whose search has ended without a decision yet.
    requirement, search, award, draft_order = award_and_draft_order(world, title="Nightly backups")
    ids.update(awarded_requirement=requirement.pk, awarded_search=search.pk, award=award.pk,
               draft_order=draft_order.pk)
    _r, _s, _a, active_order = award_and_draft_order(world, title="Archive backups", cap="50.00")
    orders.order_activate(actor=users["olga"], order_id=active_order.pk)
    orders.order_record_usage(actor=users["supplier"], order_id=active_order.pk,
                              reading=orders.read_usage_reading(line=active_order.lines.get().pk, quantity="40",
                                                                occurred_at=timezone.now(), idempotency_key="meter-1"))
    ids["active_order"] = active_order.pk
    query = {"framework": str(world.framework.pk), "lot": str(lot.pk), "data_location": "peru"}
    open_requirement = selection.requirement_create(actor=users["ana"], details=RequirementInput(
        title="Website backups", framework_id=world.framework.pk, lot_id=lot.pk))
    ids["open_requirement"] = open_requirement.pk
    ids["open_search"] = selection.search_save(actor=users["ana"], name="Website backups in Peru", query=query,
                                               requirement_id=open_requirement.pk).pk
    ended_requirement = selection.requirement_create(
        actor=users["ana"], details=RequirementInput(title="Laptop backups", framework_id=world.framework.pk,
                                                     lot_id=lot.pk),
        estimates=[EstimateInput(unit="vCPU-hour", quantity=Decimal("100"))])
    ended = selection.search_save(actor=users["ana"], name="Laptop backups in Peru", query=query,
                                  requirement_id=ended_requirement.pk)
    ids["ended_search"] = selection.search_freeze(actor=users["ana"], search_id=ended.pk).pk

    # Competitions: a draft, a published one (the suppliers may quote), a closed one to evaluate and
    # an evaluated one to award.
    ids["draft_competition"] = create_competition(users["ana"], lot).pk
    ids["published_competition"] = publish(users["ana"], create_competition(users["ana"], lot)).pk
    for key in ("closed_competition", "evaluated_competition"):
        competition = publish(users["ana"], create_competition(users["ana"], lot))
        submit(users["supplier"], competition, "0.09", "0.10")
        submit(users["supplier2"], competition, "0.05", "0.11")
        ids[key] = close(competition).pk
    evaluate_as(
        actor=users["ana"], competition_id=ids["evaluated_competition"],
        evaluations=[{"quote": quote.pk} for quote in Quote.objects.filter(
            competition_id=ids["evaluated_competition"], is_current=True)])

    red_flags_refresh(now=timezone.now() + timedelta(minutes=1))
    return ids
