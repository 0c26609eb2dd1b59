"""The permission matrix (issue 8): a GET of every URL pattern of the project (admin
aside: it is staff-only and covered elsewhere), for every kind of actor, with path arguments naming
real objects of buyer A and of its supplier S1, and the status each actor must get.

Actors: anonymous; buyer A (the requester who owns everything); buyer B (another buyer entity);
supplier S1 (A's supplier: the order, the quote, the listings); supplier S2 (another supplier, admitted
to nothing); the framework's authority; oversight (an auditor).

Objects: A's requirement with its frozen, awarded search, award, order (active, with usage and a March
statement); A's closed competition with S1's quote and question; S1's published and draft listings.

The table ``MATRIX`` maps each URL name to the expected statuses, one per actor in ``ACTORS`` order;
URL names that name a listing have one row per listing (published, draft). A URL name missing from the
table fails ``test_every_url_name_is_in_the_matrix``, so a new endpoint must be added here. Besides the
statuses: no outsider's row may say 200 for an object of A or S1 that is not public
(``test_the_matrix_never_lets_an_outsider_read``), anonymous API calls answer the JSON error shape and
anonymous pages redirect to the login page, and the list endpoints and pages of an outsider do not
contain A's (or S1's draft) object ids.
"""


from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import Membership, Organization
from catalog.models import Listing
from marketplace.competitions import services as competition_services
from marketplace.selection.models import Requirement
from tests.clock import months_from_this_month
from tests.factories import member
from tests.marketplace.factories_competitions import close, create_competition, publish, submit
from tests.marketplace.test_oversight_support import direct_award_story, org
from tests.marketplace.test_readonly_oversight import all_patterns

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "buyer_a", "buyer_b", "supplier_1", "supplier_2", "authority", "oversight")


# Columns: anonymous, buyer_a, buyer_b, supplier_1, supplier_2, authority, oversight.
PUBLIC = "200 200 200 200 200 200 200"
SIGNED_IN_API = "401 200 200 200 200 200 200"  # lists and "me": scoped per caller (see the list tests)
SIGNED_IN_PAGE = "302 200 200 200 200 200 200"
POST_ONLY_API = "401 405 405 405 405 405 405"  # no GET handler: nothing to read
POST_ONLY_PAGE = "302 405 405 405 405 405 405"
OVERSIGHT_API = "401 403 403 403 403 403 200"
OVERSIGHT_PAGE = "302 403 403 403 403 403 200"
BUYER_OWN_API = "401 200 404 404 404 404 200"  # A's requirement / search: its organization and oversight
BUYER_OWN_PAGE = "302 200 404 404 404 404 200"
BUYER_FORM_PAGE = "302 200 404 404 404 404 403"  # a write form: the owner, oversight refused, others 404
BUYER_DONE_PAGE = "302 302 404 404 404 404 403"  # a write form for a decided selection: the owner is sent back
ORDER_API = "401 200 404 200 404 404 200"  # A's order: A, its supplier S1 and oversight
ORDER_PAGE = "302 200 404 200 404 404 200"
COMPETITION_API = "401 200 404 200 404 200 200"  # A's competition: A, invited S1, the framework's authority, oversight
COMPETITION_PAGE = "302 200 404 200 404 200 200"
COMPETITION_BUYER_FORM = "302 200 404 403 404 403 403"  # evaluate/award: only the buyer; invitees are refused
QUOTE_FORM = "302 403 404 200 404 403 403"  # quote form: only an invited supplier
BUYERS_ONLY_FORM = "302 200 200 403 403 403 403"  # "new" forms with nothing of anybody's in them
SUPPLIERS_ONLY_PAGE = "302 403 403 200 200 403 403"  # the caller's own listings / forms; others told why
AUTHORITY_ONLY_PAGE = "302 403 403 403 403 200 403"  # the review queue; others told why
LISTING_OWNER_PAGE = "302 403 403 200 404 403 403"  # edit/preview: the owner; non-suppliers 403, other suppliers 404
PUBLISHED_OR_DRAFT_API = {"published": PUBLIC, "draft": "404 404 404 200 404 200 200"}
PUBLISHED_OR_DRAFT_PAGE = {"published": PUBLIC, "draft": "404 404 404 200 404 200 200"}

# URL name -> expected statuses of a GET. A new URL name without a row fails test_every_url_is_in_the_matrix.
MATRIX: dict[str, str | dict[str, str]] = {
    "home": PUBLIC,
    "healthz": PUBLIC,  # process up (config/health.py)
    "readyz": PUBLIC,  # database, migrations, cache, broker: 200 when all answer
    "login": PUBLIC,
    "logout": "405 405 405 405 405 405 405",
    "set_language": "302 302 302 302 302 302 302",
    "api-token": "405 405 405 405 405 405 405",
    "api-me": SIGNED_IN_API,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api-redoc": PUBLIC,
    "api-framework-list": PUBLIC,
    "api-framework-detail": PUBLIC,
    "api-audit-events": OVERSIGHT_API,
    "api-audit-verify": OVERSIGHT_API,
    "api-category-tree": PUBLIC,
    "api-listing-list": PUBLIC,
    "api-listing-import": POST_ONLY_API,
    "api-listing-detail": PUBLISHED_OR_DRAFT_API,
    **{f"api-listing-{action}": POST_ONLY_API
       for action in ("submit", "publish", "reject", "withdraw", "suspend", "reinstate", "stock")},
    "api-requirement-list": SIGNED_IN_API,
    "api-requirement-detail": BUYER_OWN_API,
    "api-requirement-no-award": POST_ONLY_API,
    "api-search-list": SIGNED_IN_API,
    "api-search-detail": BUYER_OWN_API,
    "api-search-freeze": POST_ONLY_API,
    "api-search-export": BUYER_OWN_API,
    "api-search-comparison": BUYER_OWN_API,
    "api-search-award": POST_ONLY_API,
    "api-search-no-award": POST_ONLY_API,
    "api-order-list": SIGNED_IN_API,
    "api-order-detail": ORDER_API,
    **{f"api-order-{action}": POST_ONLY_API
       for action in ("activate", "amend-cap", "terminate", "complete", "usage", "usage-upload")},
    "api-order-statements": ORDER_API,
    "api-order-statement-csv": ORDER_API,
    "api-competition-list": SIGNED_IN_API,
    "api-competition-detail": COMPETITION_API,
    **{f"api-competition-{action}": POST_ONLY_API
       for action in ("publish", "questions", "answers", "decline", "evaluate", "award", "no-award", "cancel")},
    "api-competition-quotes": COMPETITION_API,
    "api-ocds-releases": PUBLIC,
    "api-oversight-selections": OVERSIGHT_API,
    "api-oversight-selections-export": OVERSIGHT_API,
    "api-oversight-trail": OVERSIGHT_API,
    "api-oversight-trail-check": "401 403 403 403 403 403 405",
    "api-oversight-flags": OVERSIGHT_API,
    "orders:list": SIGNED_IN_PAGE,
    "notifications": SIGNED_IN_PAGE,  # each user's own: tests/marketplace/test_notifications_pages.py
    "notifications-read": POST_ONLY_PAGE,
    "orders:detail": ORDER_PAGE,
    **{f"orders:{action}": POST_ONLY_PAGE for action in (
        "activate", "amend-cap", "terminate", "complete", "upload-usage", "generate-statement")},
    "orders:statement-csv": ORDER_PAGE,
    "catalog:search": PUBLIC,
    "catalog:listing": PUBLISHED_OR_DRAFT_PAGE,
    "catalog:my-listings": SUPPLIERS_ONLY_PAGE,
    "catalog:listing-create": SUPPLIERS_ONLY_PAGE,
    "catalog:listing-import": SUPPLIERS_ONLY_PAGE,
    # Without ?framework= no supplier gets a template; with one, only that framework's admitted suppliers
    # (tests/catalog/test_pages.py). Non-suppliers are refused (403) before the framework is looked at.
    "catalog:listing-import-template": "302 403 403 404 404 403 403",
    "catalog:listing-edit": {"published": LISTING_OWNER_PAGE, "draft": LISTING_OWNER_PAGE},
    "catalog:listing-preview": {"published": LISTING_OWNER_PAGE, "draft": LISTING_OWNER_PAGE},
    "catalog:listing-action": {"published": POST_ONLY_PAGE, "draft": POST_ONLY_PAGE},
    "catalog:review": AUTHORITY_ONLY_PAGE,
    "competitions:list": SIGNED_IN_PAGE,
    "competitions:create": BUYERS_ONLY_FORM,
    "competitions:detail": COMPETITION_PAGE,
    **{f"competitions:{action}": POST_ONLY_PAGE for action in ("publish", "ask", "answer")},
    "competitions:quote": QUOTE_FORM,
    # GET of these three forms of a closed competition shows the competition to every party that
    # may read it (the buyer, the invitee, the authority, oversight); the POST decides who may act.
    "competitions:decline": COMPETITION_PAGE,
    "competitions:no-award": COMPETITION_PAGE,
    "competitions:cancel": COMPETITION_PAGE,
    "competitions:evaluate": COMPETITION_BUYER_FORM,
    "competitions:award": COMPETITION_BUYER_FORM,
    "selection:requirement-list": SIGNED_IN_PAGE,
    "selection:requirement-create": BUYERS_ONLY_FORM,
    "selection:requirement-detail": BUYER_OWN_PAGE,
    "selection:requirement-edit": BUYER_DONE_PAGE,  # its search has ended: the owner is sent back
    "selection:criterion-add": BUYER_FORM_PAGE,
    "selection:criterion-remove": POST_ONLY_PAGE,
    "selection:estimate-add": BUYER_FORM_PAGE,
    "selection:estimate-remove": POST_ONLY_PAGE,
    "selection:requirement-no-award": BUYER_DONE_PAGE,
    "selection:search-save": BUYERS_ONLY_FORM,
    "selection:search-detail": BUYER_OWN_PAGE,
    "selection:search-freeze": BUYER_FORM_PAGE,
    "selection:search-export": BUYER_OWN_PAGE,
    "selection:search-comparison": BUYER_OWN_PAGE,
    "selection:search-comparison-download": BUYER_OWN_PAGE,
    "selection:search-award": BUYER_DONE_PAGE,
    "selection:search-no-award": BUYER_DONE_PAGE,
    "oversight:log": OVERSIGHT_PAGE,
    "oversight:log-export": OVERSIGHT_PAGE,
    "oversight:trail": OVERSIGHT_PAGE,
    "oversight:trail-check": POST_ONLY_PAGE,
    "oversight:flags": OVERSIGHT_PAGE,
    "oversight:flags-check": POST_ONLY_PAGE,
}


@pytest.fixture
def world(db):
    story = direct_award_story()
    framework, lot = story["framework"], story["lot"]
    buyer_a, supplier_1 = story["buyer"], story["supplier"]
    competition = create_competition(buyer_a, lot, lines=[{"unit": "vCPU-hour", "quantity": "1000"}])
    publish(buyer_a, competition)
    question = competition_services.question_ask(actor=supplier_1, competition_id=competition.pk,
                                                 text="Is support in Spanish required?")
    quote = submit(supplier_1, competition, "0.190000")
    close(competition)
    draft = Listing.objects.create(
        supplier=org(supplier_1), framework=framework, lot=lot, status=Listing.Status.DRAFT,
        title="Draft compute", summary="Not yet submitted", unit="vCPU-hour", unit_price=Decimal("0.190000"),
        created_by=supplier_1,
    )
    users = {
        "buyer_a": buyer_a,
        "buyer_b": member(Organization.Kind.BUYER, Membership.Role.REQUESTER),
        "supplier_1": supplier_1,
        "supplier_2": member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER),
        "authority": member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR,
                            organization=framework.authority),
        "oversight": member(Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR),
    }
    requirement = Requirement.objects.get(pk=story["requirement_id"])
    return {
        "users": users, "story": story, "competition": competition, "question": question, "quote": quote,
        "draft": draft, "published": story["andes"].listing, "requirement": requirement,
        "criterion": requirement.criteria.first(), "estimate": requirement.estimates.first(),
        "search_id": story["search_id"], "order": story["order"], "award": story["award"],
    }


def client_of(world, actor: str, *, api: bool):
    if api:
        client = APIClient()
        if actor != "anonymous":
            token = Token.objects.get_or_create(user=world["users"][actor])[0]
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    if actor != "anonymous":
        client.force_login(world["users"][actor])
    return client


OBJECT_OF = {"requirements": "requirement", "searches": "search", "orders": "order", "competitions": "competition",
             "listings": "published", "selections": "award", "frameworks": "framework"}


def pk_of(world, key):
    return {"requirement": world["requirement"].pk, "search": world["search_id"], "order": world["order"].pk,
            "competition": world["competition"].pk, "published": world["published"].pk, "draft": world["draft"].pk,
            "award": world["award"].pk, "framework": world["story"]["framework"].pk}[key]


def path_for(world, route, pattern, key=None):
    keys = set(pattern.pattern.converters)
    values = {}
    if "pk" in keys:
        if key is None:
            key = next(v for k, v in OBJECT_OF.items() if f"{k}/<int:pk>" in route)
        values["pk"] = pk_of(world, key)
    values.update({"criterion_id": world["criterion"].pk, "estimate_id": world["estimate"].pk,
                   "question_id": world["question"].pk, "importance": "essential", "month": f"{months_from_this_month(-9):%Y-%m}",
                   "action": "submit"})
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)




def pages_and_endpoints() -> list[tuple[str, str, object]]:
    return [(route, name, pattern) for route, name, pattern in all_patterns() if not route.startswith("admin/")]


def expected_rows(name: str) -> dict[str | None, str]:
    rule = MATRIX[name]
    return rule if isinstance(rule, dict) else {None: rule}


def test_every_url_name_is_in_the_matrix():
    names = {name for _route, name, _pattern in pages_and_endpoints()}
    assert "" not in names, "every URL pattern must be named to be in the matrix"
    assert sorted(names - set(MATRIX)) == [], "new URL names: add them to MATRIX with their expected statuses"
    assert sorted(set(MATRIX) - names) == [], "MATRIX names URLs that no longer exist"
    for name in MATRIX:
        for row in expected_rows(name).values():
            assert len(row.split()) == len(ACTORS), name


# Outsiders to A's objects (and to S1's): buyer B and supplier S2 everywhere; the authority except
# on competitions under its framework and on listings it reviews (the authority publishes).
PUBLIC_ROWS = {PUBLIC, SIGNED_IN_API, SIGNED_IN_PAGE}


def test_the_matrix_never_lets_an_outsider_read():
    outsiders = (ACTORS.index("buyer_b"), ACTORS.index("supplier_2"))
    leaks = []
    for route, name, _pattern in pages_and_endpoints():
        if "<int:pk>" not in route:
            continue
        for variant, row in expected_rows(name).items():
            if row in PUBLIC_ROWS and variant != "draft":
                continue
            statuses = row.split()
            leaks += [f"{name} {variant} {ACTORS[i]}" for i in outsiders if statuses[i] == "200"]
            if statuses[0] == "200":
                leaks.append(f"{name} {variant} anonymous")
    assert leaks == []


@pytest.mark.parametrize("actor", ACTORS)
def test_get_matrix(world, actor):
    column = ACTORS.index(actor)
    wrong = []
    checked = 0
    for route, name, pattern in pages_and_endpoints():
        api = route.startswith("api/v1/")
        client = client_of(world, actor, api=api)
        for variant, row in expected_rows(name).items():
            path = path_for(world, route, pattern, variant)
            response = client.get(path)
            checked += 1
            expected = int(row.split()[column])
            if response.status_code != expected:
                wrong.append(f"GET {path} ({name} {variant or ''}) answered {response.status_code}, "
                             f"expected {expected}")
            elif api and response.status_code in (401, 403, 404):
                body = response.json()
                if set(body) != {"error"} or not body["error"].get("code"):
                    wrong.append(f"GET {path} ({name}) answered {response.status_code} without the error shape")
            elif actor == "anonymous" and not api and response.status_code == 302 and name != "set_language":
                if not response["Location"].startswith("/accounts/login/"):
                    wrong.append(f"GET {path} ({name}) redirected anonymous to {response['Location']}")
    assert wrong == [], "\n".join(wrong)
    assert checked == sum(len(expected_rows(name)) for _r, name, _p in pages_and_endpoints())
    assert checked >= 110


def ids_in(response) -> set[int]:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return {item["id"] for item in response.json()["results"]}


# List URL -> (objects of A or S1 it may show, actors who must see them; every other signed-in actor must not).
def list_rules(world) -> dict[str, tuple[set[int], set[str]]]:
    requirements = {world["requirement"].pk, world["competition"].requirement_id}
    return {
        "/api/v1/orders/": ({world["order"].pk}, {"buyer_a", "supplier_1", "oversight"}),
        "/api/v1/requirements/": (requirements, {"buyer_a", "oversight"}),
        "/api/v1/searches/": ({world["search_id"]}, {"buyer_a", "oversight"}),
        "/api/v1/competitions/": ({world["competition"].pk}, {"buyer_a", "supplier_1", "authority", "oversight"}),
    }


@pytest.mark.parametrize("actor", ACTORS[1:])
def test_api_lists_hold_only_what_the_caller_may_read(world, actor):
    client = client_of(world, actor, api=True)
    seen = {url: ids_in(client.get(url)) & ids for url, (ids, _who) in list_rules(world).items()}
    expected = {url: (ids if actor in who else set()) for url, (ids, who) in list_rules(world).items()}
    assert seen == expected


def test_api_lists_refuse_anonymous(world):
    client = client_of(world, "anonymous", api=True)
    assert {url: client.get(url).status_code for url in list_rules(world)} == dict.fromkeys(list_rules(world), 401)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_public_listing_search_never_shows_a_draft(world, actor):
    client = client_of(world, actor, api=True)
    supplier = world["draft"].supplier_id
    by_supplier = ids_in(client.get(f"/api/v1/listings/?supplier={supplier}"))
    by_title = client.get("/api/v1/listings/?q=Draft%20compute")
    assert (by_supplier, world["draft"].pk in ids_in(by_title)) == ({world["published"].pk}, False)


# Page list -> (links to A's objects it may show, actors who must see them).
def page_list_rules(world) -> dict[str, tuple[str, set[str]]]:
    return {
        "/orders/": (f"/orders/{world['order'].pk}/", {"buyer_a", "supplier_1", "oversight"}),
        "/buyer/requirements/": (f"/buyer/requirements/{world['requirement'].pk}/", {"buyer_a", "oversight"}),
        "/competitions/": (f"/competitions/{world['competition'].pk}/",
                           {"buyer_a", "supplier_1", "authority", "oversight"}),
    }


@pytest.mark.parametrize("actor", ACTORS[1:])
def test_list_pages_link_only_what_the_caller_may_read(world, actor):
    client = client_of(world, actor, api=False)
    seen = {}
    for url, (link, _who) in page_list_rules(world).items():
        response = client.get(url)
        assert response.status_code == 200
        seen[url] = f'href="{link}"' in response.content.decode()
    assert seen == {url: actor in who for url, (_link, who) in page_list_rules(world).items()}
