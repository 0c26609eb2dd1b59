"""Supplier-only and authority-only pages refuse everyone else with a 403 that says why; the edit page
offers no form for a listing that cannot be edited (the service's rule), and says why."""

import pytest

from catalog import services
from catalog.models import Listing
from tests.conftest import signed_in_browser
from tests.factories import listing_data, need_category, published_listing

pytestmark = pytest.mark.django_db

SUPPLIER_PAGES = ["/supplier/listings/", "/supplier/listings/new/", "/supplier/listings/import/",
                  "/supplier/listings/import/template.csv"]
ONLY_SUPPLIERS = "Only supplier users can manage listings."
ONLY_AUTHORITIES = "Only procurement authority users can review listings."


def client_as(user):
    return signed_in_browser(user)


@pytest.fixture
def draft(lot, ceiling, supplier_user):
    need = need_category("Store data", lots=[lot])
    return services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                   data=listing_data(categories=[need.pk]))


@pytest.mark.parametrize("path", SUPPLIER_PAGES)
def test_a_buyer_is_refused_a_supplier_page_with_a_403_that_says_why(buyer_user, path):
    response = client_as(buyer_user).get(path)

    assert response.status_code == 403
    assert ONLY_SUPPLIERS in response.content.decode()


@pytest.mark.parametrize("page", ["edit", "preview"])
def test_the_authority_is_refused_a_suppliers_listing_pages_with_a_403(draft, authority_user, page):
    response = client_as(authority_user).get(f"/supplier/listings/{draft.pk}/{page}/")

    assert response.status_code == 403
    assert ONLY_SUPPLIERS in response.content.decode()


def test_a_buyer_posting_the_new_listing_form_is_refused_and_nothing_is_created(lot, ceiling, buyer_user):
    response = client_as(buyer_user).post(f"/supplier/listings/new/?lot={lot.pk}", listing_data())

    assert response.status_code == 403
    assert Listing.objects.count() == 0


@pytest.mark.parametrize("user", ["buyer_user", "supplier_user"])
def test_the_review_queue_refuses_anyone_but_an_authority_with_a_403_that_says_why(request, lot, user):
    response = client_as(request.getfixturevalue(user)).get("/review/")

    assert response.status_code == 403
    assert ONLY_AUTHORITIES in response.content.decode()


def test_another_supplier_still_gets_a_404_for_a_listing_it_does_not_own(draft, other_supplier_user):
    assert client_as(other_supplier_user).get(f"/supplier/listings/{draft.pk}/edit/").status_code == 404


def test_the_edit_page_of_a_listing_in_review_offers_no_form_and_says_why(draft, supplier_user):
    services.listing_submit(actor=supplier_user, listing=draft)

    response = client_as(supplier_user).get(f"/supplier/listings/{draft.pk}/edit/", follow=True)

    assert response.redirect_chain == [(f"/supplier/listings/{draft.pk}/preview/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "A listing under review or withdrawn cannot be edited."]
    assert "Save draft" not in response.content.decode()


def test_posting_the_edit_form_of_a_listing_in_review_changes_nothing(draft, supplier_user):
    services.listing_submit(actor=supplier_user, listing=draft)

    response = client_as(supplier_user).post(f"/supplier/listings/{draft.pk}/edit/", {
        "title": "Renamed", "summary": draft.summary, "unit": draft.unit, "unit_price": "0.2"})

    draft.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, f"/supplier/listings/{draft.pk}/preview/")
    assert (draft.title, draft.status) == ("Managed backup service", Listing.Status.SUBMITTED)


def test_the_edit_page_of_a_withdrawn_listing_offers_no_form(lot, ceiling, supplier_user, authority_user):
    listing = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot)
    services.listing_withdraw(actor=supplier_user, listing=listing)

    response = client_as(supplier_user).get(f"/supplier/listings/{listing.pk}/edit/")

    assert (response.status_code, response["Location"]) == (302, f"/supplier/listings/{listing.pk}/preview/")


def test_the_edit_page_of_a_draft_still_offers_the_form(draft, supplier_user):
    response = client_as(supplier_user).get(f"/supplier/listings/{draft.pk}/edit/")

    assert response.status_code == 200
    assert "Save draft" in response.content.decode()
