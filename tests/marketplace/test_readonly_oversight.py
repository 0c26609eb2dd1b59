"""Oversight users read everything and change nothing: EVERY URL pattern of the project, every
unsafe method, with path arguments naming real objects.

The patterns are enumerated from ``get_resolver().url_patterns`` (recursively, admin included), so
a new endpoint is covered without editing this file. For each pattern and each of POST, PUT,
PATCH and DELETE an oversight user must get 403 (or 405 when the view has no such method), and
nothing in the database may change (every row of every domain model, compared before and after).

Excluded, with the reason:
- ``api-token``, ``login``, ``logout``, ``set_language``: authentication and language endpoints.
  They change the caller's own session or token, never domain data, and an auditor must be able
  to sign in and out.
- ``api-oversight-trail-check`` and ``oversight:trail-check``: oversight's own "Check this trail"
  action. It is a POST that writes nothing; the last test shows it answers 200 and changes nothing.
- ``oversight:flags-check``: runs the hourly red-flag task now. It writes only the derived red flags
  (and their audit event), never a procurement record.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import Membership, Organization
from catalog.models import Listing
from marketplace.competitions import services as competition_services
from marketplace.competitions.models import ClarificationQuestion, Competition
from marketplace.selection.models import Requirement, RequirementCriterion, SavedSearch
from tests.clock import months_from_this_month
from tests.conftest import client_for
from tests.factories import CeilingPriceFactory, member
from tests.marketplace.factories_competitions import award_as, create_as, evaluate_as, quote_as
from tests.marketplace.test_oversight_support import direct_award_story, org, requirement_body

pytestmark = pytest.mark.django_db

EXCLUDED = {
    "api-token": "signs in: returns the caller's own token",
    "login": "signs in",
    "logout": "signs out the caller",
    "set_language": "sets the caller's language cookie",
    "admin:login": "signs in (to the admin)",
    "admin:logout": "signs out the caller (from the admin)",
    "api-oversight-trail-check": "oversight's own read-only check (tested below to write nothing)",
    "oversight:trail-check": "oversight's own read-only check (tested below to write nothing)",
    "oversight:flags-check": "recomputes the derived red flags now, as the hourly task does; no procurement record "
                             "changes (tested in test_red_flags)",
}
UNSAFE = ("post", "put", "patch", "delete")
DOMAIN_APPS = ("agreements", "catalog", "marketplace", "audit", "authtoken")


def all_patterns(patterns=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str, object]]:
    """``(route, name, pattern)`` for every URL pattern of the project, resolvers walked recursively."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.extend(all_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            found.append((prefix + str(pattern.pattern), name, pattern))
    return found


def domain_state() -> dict:
    """Every row of every model of the domain apps (and users without ``last_login``), by pk."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in DOMAIN_APPS:
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    fields = [field.attname for field in get_user_model()._meta.concrete_fields if field.attname != "last_login"]
    state["users"] = list(get_user_model().objects.order_by("pk").values_list(*fields))
    return state


@pytest.fixture
def world(db):
    """Real objects of every kind a URL names: a whole direct-award selection with its order and
    statement, an open search with a criterion and an estimate, a published competition with a
    clarification question, and a draft listing."""
    story = direct_award_story()
    buyer, lot = story["buyer"], story["lot"]
    client = client_for(buyer)
    open_requirement = client.post("/api/v1/requirements/", requirement_body(story["framework"], lot, "Open need"),
                                   format="json").json()
    open_search = client.post("/api/v1/searches/", {"name": "Still open", "requirement": open_requirement["id"],
                                                    "query": {"framework": str(story["framework"].pk)}},
                              format="json").json()
    requirement = Requirement.objects.get(pk=open_requirement["id"])
    criterion = RequirementCriterion.objects.filter(requirement=requirement).first()
    estimate = requirement.estimates.first()

    CeilingPriceFactory(lot=lot, unit="GB-month", max_unit_price=Decimal("0.100000"))
    supplier_user = story["supplier"]  # Andes Cloud, admitted to the lot by hosting_market
    competition_requirement = client.post("/api/v1/requirements/", requirement_body(story["framework"], lot, "RFQ"),
                                          format="json").json()
    competition = create_as(
        actor=buyer, requirement_id=competition_requirement["id"], lines=[{"unit": "vCPU-hour", "quantity": "1000"}],
        deadline=timezone.now() + timedelta(days=30),
    )
    competition_services.competition_publish(actor=buyer, competition_id=competition.pk)
    question = competition_services.question_ask(actor=supplier_user, competition_id=competition.pk,
                                                 text="Is support in Spanish required?")
    draft = Listing.objects.create(
        supplier=org(supplier_user), framework=story["framework"], lot=lot, status=Listing.Status.DRAFT,
        title="Draft compute", summary="Not yet submitted", unit="vCPU-hour", unit_price=Decimal("0.190000"),
        created_by=supplier_user,
    )
    auditor = member(Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR)
    return {
        "story": story, "auditor": auditor, "open_search": SavedSearch.objects.get(pk=open_search["id"]),
        "requirement": requirement, "criterion": criterion, "estimate": estimate, "competition": competition,
        "question": question, "draft": draft, "newcomer": get_user_model().objects.create_user("newcomer"),
    }


def kwargs_for(route: str, name: str, pattern, world: dict) -> dict:
    """Plausible path arguments naming real objects, chosen by the route and argument names."""
    story = world["story"]
    keys = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    values: dict = {}
    if "pk" in keys:
        if "requirements" in route:
            values["pk"] = world["requirement"].pk
        elif "searches" in route:
            values["pk"] = story["search_id"] if ("award" in route or "export" in route or "comparison" in route) \
                else world["open_search"].pk
        elif "orders" in route:
            values["pk"] = story["order"].pk
        elif "competitions" in route:
            values["pk"] = world["competition"].pk
        elif "listings" in route:
            values["pk"] = world["draft"].pk if ("edit" in route or "preview" in route) else story["andes"].listing_id
        elif "oversight" in route or "frameworks" in route:
            values["pk"] = story["award"].pk if "oversight" in route else story["framework"].pk
        else:
            raise AssertionError(f"No object chosen for <pk> in {route}")
    if "criterion_id" in keys:
        values["criterion_id"] = world["criterion"].pk
    if "estimate_id" in keys:
        values["estimate_id"] = world["estimate"].pk
    if "question_id" in keys:
        values["question_id"] = world["question"].pk
    if "importance" in keys:
        values["importance"] = "essential"
    if "month" in keys:
        values["month"] = f"{months_from_this_month(-9):%Y-%m}"
    if "action" in keys:
        values["action"] = "submit"
    if route.startswith("admin/"):
        values.update(_admin_kwargs(name, keys, world))
    missing = keys - set(values)
    assert not missing, f"No value for {missing} in {route}"
    return values


def _admin_kwargs(name: str, keys: set[str], world: dict) -> dict:
    values = {}
    model = None
    for candidate in apps.get_models():
        prefix = f"admin:{candidate._meta.app_label}_{candidate._meta.model_name}_"
        if name.startswith(prefix):
            model = candidate
    if "object_id" in keys:
        instance = model.objects.order_by("pk").first() if model else None
        values["object_id"] = str(instance.pk) if instance else "1"
    if "app_label" in keys:
        values["app_label"] = "marketplace"
    if "content_type_id" in keys:
        from django.contrib.contenttypes.models import ContentType

        values["content_type_id"] = ContentType.objects.get_for_model(Competition).pk
    if "url" in keys:
        values["url"] = "marketplace/"
    if "id" in keys:
        values["id"] = "1"
    return values


def fill(route: str, kwargs: dict) -> str:
    """The concrete path: each ``<converter:name>`` (or regex group) replaced by its value."""
    import re

    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match.group(1)]), route)
    if path.startswith("^") or "(?P<" in path:  # admin regex patterns
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: str(kwargs[match.group(1)]), path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


def view_defines(pattern, method: str) -> bool:
    view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view_class is None:
        return True  # function views: the decorator decides; 405 only when it refuses the method
    return hasattr(view_class, method)


def refusals(world, *, api: bool) -> list[str]:
    """Send every unsafe method to every pattern (API or pages) and list what was not refused."""
    auditor = world["auditor"]
    if api:
        client = APIClient()  # a real token, as outside clients send it (not force_authenticate)
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=auditor)[0].key}")
    else:
        client = Client()
        client.force_login(auditor)
    problems = []
    checked = 0
    initial = domain_state()
    for route, name, pattern in all_patterns():
        if name in EXCLUDED or route.startswith("api/v1/") != api:
            continue
        path = fill(route, kwargs_for(route, name, pattern, world))
        for method in UNSAFE:
            response = getattr(client, method)(path, {}, **({"format": "json"} if api else {}))
            checked += 1
            allowed = {403} | ({405} if response.status_code == 405 and not (
                api and view_defines(pattern, method)) else set())
            if response.status_code not in allowed:
                problems.append(f"{method.upper()} {path} ({name}) answered {response.status_code}")
            if api and response.status_code == 403:
                body = response.json()
                if set(body) != {"error"}:
                    problems.append(f"{method.upper()} {path} answered 403 without the error shape: {body}")
        if domain_state() != initial:
            problems.append(f"{path} ({name}) changed the database")
            initial = domain_state()
    world["checked"] = checked
    return problems


def test_every_api_endpoint_refuses_every_write_by_oversight(world):
    problems = refusals(world, api=True)
    assert problems == [], "\n".join(problems)
    api_patterns = [route for route, name, _p in all_patterns() if route.startswith("api/v1/") and name not in EXCLUDED]
    assert world["checked"] == 4 * len(api_patterns)
    assert len(api_patterns) >= 50


def test_every_page_refuses_every_write_by_oversight(world):
    problems = refusals(world, api=False)
    assert problems == [], "\n".join(problems)
    pages = [route for route, name, _p in all_patterns() if not route.startswith("api/v1/") and name not in EXCLUDED]
    assert world["checked"] == 4 * len(pages)
    assert any(route.startswith("admin/") for route in pages)


def test_the_enumeration_sees_every_app(world):
    routes = [route for route, _name, _pattern in all_patterns()]
    for expected in ("api/v1/orders/<int:pk>/usage/", "api/v1/competitions/<int:pk>/award/",
                     "api/v1/searches/<int:pk>/freeze/", "api/v1/listings/<int:pk>/publish/",
                     "buyer/searches/<int:pk>/award/", "orders/<int:pk>/amend-cap/", "supplier/listings/new/",
                     "competitions/<int:pk>/evaluate/", "oversight/selections/<int:pk>/check/"):
        assert expected in routes


def test_trail_check_is_the_one_oversight_post_and_writes_nothing(world):
    award = world["story"]["award"]
    before = domain_state()
    api_answer = client_for(world["auditor"]).post(f"/api/v1/oversight/selections/{award.pk}/check/")
    page = Client()
    page.force_login(world["auditor"])
    page_answer = page.post(f"/oversight/selections/{award.pk}/check/")
    assert (api_answer.status_code, api_answer.json()["ok"], page_answer.status_code) == (200, True, 200)
    assert domain_state() == before


def test_the_same_writes_by_their_owner_are_not_refused_so_the_refusal_is_about_oversight(world):
    """Control: the refusal above is not because the requests are malformed in general. The buyer
    who owns the open requirement may change it through the same URL."""
    buyer_client = client_for(world["story"]["buyer"])
    response = buyer_client.patch(f"/api/v1/requirements/{world['requirement'].pk}/", {"title": "Renamed"},
                                  format="json")
    assert response.status_code == 200
    assert Requirement.objects.get(pk=world["requirement"].pk).title == "Renamed"
    assert ClarificationQuestion.objects.filter(pk=world["question"].pk).exists()


def service_calls(world, actor=None) -> dict:
    """Every service that takes an acting user, called by ``actor`` (by default an oversight user) with
    arguments that would succeed for the right actor (or fail only later), keyed by its dotted name.
    tests/marketplace/test_service_authorization.py checks that the keys are every such service in the code."""
    from agreements import services as agreements
    from catalog.services import categories as catalog_categories
    from catalog.services import imports as catalog_imports
    from catalog.services import listings as catalog
    from marketplace.orders import services as orders
    from marketplace.selection import services as selection
    from marketplace.selection.inputs import CriterionInput, DirectAwardInput, EstimateInput, RequirementInput

    story, auditor = world["story"], actor or world["auditor"]
    framework, lot, order, search = story["framework"], story["lot"], story["order"], world["open_search"]
    listing, draft = story["andes"].listing, world["draft"]
    requirement, competition = world["requirement"], world["competition"]
    admission = org(story["supplier"]).admissions.first()
    line = order.lines.get()
    return {
        "agreements.framework_create": lambda: agreements.framework_create(
            actor=auditor, authority=framework.authority, reference="FA-OVERSIGHT", title="x", currency="PEN",
            start_date=framework.start_date, end_date=framework.end_date),
        "agreements.framework_transition": lambda: agreements.framework_transition(
            actor=auditor, framework=framework, target="terminated", reason="x"),
        "agreements.lot_create": lambda: agreements.lot_create(actor=auditor, framework=framework, number=9, title="x"),
        "agreements.ceiling_price_set": lambda: agreements.ceiling_price_set(
            actor=auditor, lot=lot, unit="vCPU-hour", max_unit_price="0.300000"),
        "agreements.admission_apply": lambda: agreements.admission_apply(
            actor=auditor, supplier=org(story["supplier"]), lot=lot),
        "agreements.admission_transition": lambda: agreements.admission_transition(
            actor=auditor, admission=admission, target="suspended", reason="x"),
        "catalog.listing_create": lambda: catalog.listing_create(actor=auditor, framework=framework, lot=lot, data={}),
        "catalog.listing_update": lambda: catalog.listing_update(actor=auditor, listing=draft, data={"title": "x"}),
        "catalog.listing_submit": lambda: catalog.listing_submit(actor=auditor, listing=draft),
        "catalog.listing_publish": lambda: catalog.listing_publish(actor=auditor, listing=draft),
        "catalog.listing_reject": lambda: catalog.listing_reject(actor=auditor, listing=draft, reason="x"),
        "catalog.listing_withdraw": lambda: catalog.listing_withdraw(actor=auditor, listing=listing),
        "catalog.listing_suspend": lambda: catalog.listing_suspend(actor=auditor, listing=listing, reason="x"),
        "catalog.listing_reinstate": lambda: catalog.listing_reinstate(actor=auditor, listing=listing),
        "catalog.listing_set_stock": lambda: catalog.listing_set_stock(actor=auditor, listing=listing, stock=0),
        "agreements.organization_create": lambda: agreements.organization_create(
            actor=auditor, kind=Organization.Kind.SUPPLIER, name="x", legal_identifier="20999999999", country="PE"),
        "agreements.membership_add": lambda: agreements.membership_add(
            actor=auditor, user=world["newcomer"], organization=org(story["supplier"]), role=Membership.Role.PUBLISHER),
        "catalog.category_create": lambda: catalog_categories.category_create(actor=auditor, name="A new need"),
        "catalog.listings_import_csv": lambda: catalog_imports.listings_import_csv(
            actor=auditor, framework=framework, file="title\nx\n"),
        "selection.requirement_create": lambda: selection.requirement_create(actor=auditor, details=RequirementInput(title="x")),
        "selection.requirement_update": lambda: selection.requirement_update(
            actor=auditor, requirement_id=requirement.pk, details=RequirementInput(title="x")),
        "selection.requirement_criterion_add": lambda: selection.requirement_criterion_add(
            actor=auditor, requirement_id=requirement.pk, criterion=CriterionInput(importance="essential", text="x")),
        "selection.requirement_criterion_remove": lambda: selection.requirement_criterion_remove(
            actor=auditor, requirement_id=requirement.pk, criterion_id=world["criterion"].pk),
        "selection.requirement_estimate_set": lambda: selection.requirement_estimate_set(
            actor=auditor, requirement_id=requirement.pk, estimate=EstimateInput(unit="vCPU-hour", quantity=Decimal(1))),
        "selection.requirement_estimate_remove": lambda: selection.requirement_estimate_remove(
            actor=auditor, requirement_id=requirement.pk, estimate_id=world["estimate"].pk),
        "selection.search_save": lambda: selection.search_save(actor=auditor, name="x", query={},
                                                               requirement_id=requirement.pk),
        "selection.search_update": lambda: selection.search_update(actor=auditor, search_id=search.pk, name="x"),
        "selection.search_freeze": lambda: selection.search_freeze(actor=auditor, search_id=search.pk),
        "selection.award_direct": lambda: selection.award_direct(
            actor=auditor, search_id=search.pk, award=DirectAwardInput(listing_version_id=story["andes"].pk,
                                                                      justification="x")),
        "selection.award_none": lambda: selection.award_none(actor=auditor, requirement_id=requirement.pk, reason="x"),
        "orders.order_create_from_award": lambda: orders.order_create_from_award(
            actor=auditor, award=story["award"], cap="1.00", start=months_from_this_month(-9).isoformat(), end=months_from_this_month(-8).isoformat()),
        "orders.order_activate": lambda: orders.order_activate(actor=auditor, order_id=order.pk),
        "orders.order_amend_cap": lambda: orders.order_amend_cap(actor=auditor, order_id=order.pk, cap="9000.00",
                                                                 justification="x"),
        "orders.order_terminate": lambda: orders.order_terminate(actor=auditor, order_id=order.pk, reason="x"),
        "orders.order_complete": lambda: orders.order_complete(actor=auditor, order_id=order.pk, reason="x"),
        "orders.order_record_usage": lambda: orders.order_record_usage(
            actor=auditor, order_id=order.pk, reading=orders.read_usage_reading(
                line=line.pk, quantity="1", occurred_at=f"{months_from_this_month(-9, day=5)}T10:00:00Z", idempotency_key="oversight-1")),
        "orders.order_upload_usage_csv": lambda: orders.order_upload_usage_csv(
            actor=auditor, order_id=order.pk,
            file=f"line,quantity,occurred_at,idempotency_key\n{line.pk},1,{months_from_this_month(-9, day=5)}T10:00:00Z,o-2\n"),
        "orders.statement_generate": lambda: orders.statement_generate(actor=auditor, order_id=order.pk,
                                                                       month=f"{months_from_this_month(-9):%Y-%m}"),
        "competitions.competition_create": lambda: create_as(
            actor=auditor, requirement_id=requirement.pk, lines=[{"unit": "vCPU-hour", "quantity": "1"}],
            deadline=timezone.now() + timedelta(days=30)),
        "competitions.competition_publish": lambda: competition_services.competition_publish(
            actor=auditor, competition_id=competition.pk),
        "competitions.question_ask": lambda: competition_services.question_ask(
            actor=auditor, competition_id=competition.pk, text="x"),
        "competitions.question_answer": lambda: competition_services.question_answer(
            actor=auditor, competition_id=competition.pk, question_id=world["question"].pk, answer="x"),
        "competitions.quote_submit": lambda: quote_as(
            actor=auditor, competition_id=competition.pk, lines=[], delivery_terms="x", responses=[]),
        "competitions.quote_decline": lambda: competition_services.quote_decline(
            actor=auditor, competition_id=competition.pk, reason="x"),
        "competitions.competition_evaluate": lambda: evaluate_as(
            actor=auditor, competition_id=competition.pk, evaluations=[]),
        "competitions.competition_award": lambda: award_as(
            actor=auditor, competition_id=competition.pk, quote_id=1, justification="x"),
        "competitions.competition_no_award": lambda: competition_services.competition_no_award(
            actor=auditor, competition_id=competition.pk, reason="x"),
        "competitions.competition_cancel": lambda: competition_services.competition_cancel(
            actor=auditor, competition_id=competition.pk, reason="x"),
    }


# Every service answers Forbidden to oversight: it can see every competition, so the competition
# services too answer Forbidden, not NotFound (NotFound is only for who cannot see the row).
REFUSED_AS_NOT_FOUND: set[str] = set()


def services_taking_an_actor() -> set[str]:
    from tests.marketplace.test_service_authorization import services_taking_an_actor as enumerate_services

    return enumerate_services()


def test_every_service_that_takes_an_actor_refuses_oversight(world):
    from common.errors import DomainError, Forbidden, NotFound

    before = domain_state()
    outcomes = {}
    for name, call in service_calls(world).items():
        try:
            call()
        except Forbidden:
            outcomes[name] = "forbidden"
        except NotFound:
            outcomes[name] = "not found" if name in REFUSED_AS_NOT_FOUND else "unexpected not found"
        except DomainError as error:
            outcomes[name] = f"{type(error).__name__}: {error.message}"
        else:
            outcomes[name] = "accepted"
    refused_otherwise = {name: outcome for name, outcome in outcomes.items()
                         if outcome != "forbidden" and not (outcome == "not found")}
    assert refused_otherwise == {}, "\n".join(f"{k}: {v}" for k, v in refused_otherwise.items())
    assert len(outcomes) == len(services_taking_an_actor())
    assert sorted(name for name, outcome in outcomes.items() if outcome == "not found") == sorted(REFUSED_AS_NOT_FOUND)
    assert domain_state() == before
