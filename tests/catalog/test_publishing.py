from decimal import Decimal

import pytest

from agreements.models import Admission
from audit.models import AuditEvent
from catalog import services
from catalog.models import Listing, ListingVersion, SearchEntry
from catalog.selectors import listings_visible_to, search_listings
from common.errors import Forbidden, InvalidTransition, ValidationFailed
from tests.conftest import client_for
from tests.factories import listing_data, published_listing

pytestmark = pytest.mark.django_db


def complete_data(**overrides):
    from tests.factories import need_category

    return listing_data(categories=[need_category("Store data").pk], **overrides)


def test_price_above_the_ceiling_is_refused_and_nothing_is_created(lot, ceiling, supplier_user):
    with pytest.raises(ValidationFailed) as error:
        services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                data=listing_data(unit_price="0.250001"))
    assert "unit_price" in error.value.fields
    assert Listing.objects.count() == 0


def test_unit_without_a_ceiling_is_refused(lot, ceiling, supplier_user):
    with pytest.raises(ValidationFailed) as error:
        services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                data=listing_data(unit="GB-month"))
    assert list(error.value.fields) == ["unit"]
    assert Listing.objects.count() == 0


def test_price_equal_to_the_ceiling_is_accepted_and_recorded_on_the_version(lot, ceiling, supplier_user,
                                                                          authority_user):
    listing = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot,
                                unit_price="0.25")
    version = listing.current_version
    assert (version.unit_price, version.ceiling_price) == (Decimal("0.250000"), Decimal("0.250000"))


def test_only_admitted_suppliers_create_and_admission_is_rechecked_at_publish(lot, ceiling, supplier_user,
                                                                            authority_user):
    from tests.factories import member

    outsider = member("supplier", "publisher")
    with pytest.raises(Forbidden):
        services.listing_create(actor=outsider, framework=lot.framework, lot=lot, data=listing_data())
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    listing = services.listing_submit(actor=supplier_user, listing=listing)
    Admission.objects.filter(lot=lot).update(status=Admission.Status.SUSPENDED)
    with pytest.raises(Forbidden):
        services.listing_publish(actor=authority_user, listing=listing)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.SUBMITTED
    assert ListingVersion.objects.count() == 0 and SearchEntry.objects.count() == 0


def test_attribute_values_must_fit_their_definitions(lot, ceiling, supplier_user):
    from tests.factories import AttributeDefinitionFactory

    AttributeDefinitionFactory(lot=lot, key="data_location", kind="choice",
                               choices=[{"value": "peru", "label": "Peru"}])
    AttributeDefinitionFactory(lot=lot, key="free_trial", kind="boolean", choices=[])
    with pytest.raises(ValidationFailed) as error:
        services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=listing_data(
            attributes={"data_location": "mars", "free_trial": "perhaps", "colour": "red"}))
    assert sorted(error.value.fields) == ["attributes.colour", "attributes.data_location", "attributes.free_trial"]
    assert Listing.objects.count() == 0


def test_editing_a_published_listing_changes_only_the_draft_until_the_next_publish(lot, ceiling, supplier_user,
                                                                                   authority_user):
    listing = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot)
    first = listing.current_version
    listing = services.listing_update(actor=supplier_user, listing=listing, data={"title": "Managed backup v2"})
    assert listing.has_unpublished_changes is True
    assert search_listings(user=None, query={}).results[0].title == "Managed backup service"
    listing = services.listing_submit(actor=supplier_user, listing=listing)
    assert search_listings(user=None, query={}).results[0].title == "Managed backup service"
    listing = services.listing_publish(actor=authority_user, listing=listing)
    assert listing.current_version.number == 2
    assert search_listings(user=None, query={}).results[0].title == "Managed backup v2"
    first.refresh_from_db()
    assert (first.number, first.title) == (1, "Managed backup service")


def test_versions_are_immutable(lot, ceiling, supplier_user, authority_user):
    version = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot).current_version
    version.title = "Changed"
    with pytest.raises(ValueError):
        version.save()
    with pytest.raises(ValueError):
        version.delete()
    assert ListingVersion.objects.get(pk=version.pk).title == "Managed backup service"


def test_reject_needs_a_reason_that_the_supplier_sees(lot, ceiling, supplier_user, authority_user):
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    listing = services.listing_submit(actor=supplier_user, listing=listing)
    with pytest.raises(ValidationFailed):
        services.listing_reject(actor=authority_user, listing=listing, reason=" ")
    services.listing_reject(actor=authority_user, listing=listing, reason="Price per unit is unclear.")
    response = client_for(supplier_user).get(f"/api/v1/listings/{listing.pk}/")
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Price per unit is unclear."


def test_suppliers_cannot_publish_their_own_listing(lot, ceiling, supplier_user):
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    listing = services.listing_submit(actor=supplier_user, listing=listing)
    with pytest.raises(Forbidden):
        services.listing_publish(actor=supplier_user, listing=listing)
    with pytest.raises(InvalidTransition):
        services.listing_submit(actor=supplier_user, listing=listing)


def test_only_owner_and_authority_see_drafts(lot, ceiling, supplier_user, other_supplier_user, authority_user,
                                             buyer_user, auditor_user):
    draft = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    assert draft in listings_visible_to(user=supplier_user)
    assert draft in listings_visible_to(user=authority_user)
    assert draft in listings_visible_to(user=auditor_user)
    assert draft not in listings_visible_to(user=other_supplier_user)
    assert draft not in listings_visible_to(user=buyer_user)
    assert client_for(buyer_user).get(f"/api/v1/listings/{draft.pk}/").status_code == 404
    assert client_for(supplier_user).get(f"/api/v1/listings/{draft.pk}/").json()["draft"]["title"] == draft.title


def test_stock_zero_shows_out_of_stock_and_is_filtered(lot, ceiling, supplier_user, authority_user):
    listing = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot)
    services.listing_set_stock(actor=supplier_user, listing=listing, stock=0)
    assert search_listings(user=None, query={}).results[0].in_stock is False
    assert search_listings(user=None, query={"in_stock": "true"}).count == 0


def test_withdrawn_and_suspended_listings_leave_search(lot, ceiling, supplier_user, authority_user):
    listing = published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot)
    services.listing_suspend(actor=authority_user, listing=listing, reason="Under investigation")
    assert search_listings(user=None, query={}).count == 0
    services.listing_reinstate(actor=authority_user, listing=listing)
    assert search_listings(user=None, query={}).count == 1
    services.listing_withdraw(actor=supplier_user, listing=listing)
    assert search_listings(user=None, query={}).count == 0


def test_each_step_is_audited(lot, ceiling, supplier_user, authority_user):
    published_listing(supplier_user=supplier_user, authority_user=authority_user, lot=lot)
    actions = list(AuditEvent.objects.filter(target_type="catalog.listing").order_by("sequence")
                   .values_list("action", flat=True))
    assert actions == ["listing.created", "listing.submitted", "listing.published"]


CSV_HEADER = "lot,title,summary,unit,unit_price,categories,attr:data_location\n"


def test_csv_import_reports_every_bad_row_and_imports_nothing(lot, ceiling, supplier_user):
    text = CSV_HEADER + (
        "1,Good row,Fine summary,vCPU-hour,0.10,,\n"
        "1,Too dear,Summary,vCPU-hour,9.00,,\n"
        "7,Wrong lot,Summary,vCPU-hour,0.10,,\n"
        "1,,No title,vCPU-hour,0.10,nowhere,\n"
    )
    with pytest.raises(ValidationFailed) as error:
        services.listings_import_csv(actor=supplier_user, framework=lot.framework, file=text)
    rows = error.value.extra["rows"]
    assert [row["row"] for row in rows] == [3, 4, 5]
    assert list(rows[0]["errors"]) == ["unit_price"]
    assert list(rows[1]["errors"]) == ["lot"]
    assert sorted(rows[2]["errors"]) == ["categories", "title"]
    assert Listing.objects.count() == 0


def test_csv_import_creates_drafts_when_every_row_is_right(lot, ceiling, supplier_user):
    text = CSV_HEADER + "1,Row one,Summary one,vCPU-hour,0.10,,\n1,Row two,Summary two,vCPU-hour,0.20,,\n"
    created = services.listings_import_csv(actor=supplier_user, framework=lot.framework, file=text)
    assert [listing.title for listing in created] == ["Row one", "Row two"]
    assert set(Listing.objects.values_list("status", flat=True)) == {"draft"}


def test_api_create_submit_publish_and_search(lot, ceiling, supplier_user, authority_user, api_client):
    supplier = client_for(supplier_user)
    response = supplier.post("/api/v1/listings/", {"framework": lot.framework.pk, "lot": lot.pk, **complete_data()},
                             format="json")
    assert response.status_code == 201, response.json()
    listing_id = response.json()["id"]
    assert supplier.post(f"/api/v1/listings/{listing_id}/submit/").json()["status"] == "submitted"
    assert supplier.post(f"/api/v1/listings/{listing_id}/publish/").status_code == 403
    published = client_for(authority_user).post(f"/api/v1/listings/{listing_id}/publish/")
    assert published.status_code == 200 and published.json()["current_version"]["number"] == 1
    body = api_client.get("/api/v1/listings/", {"q": "backup"}).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == listing_id
    assert body["results"][0]["unit_price"] == "0.200000"
    assert body["results"][0]["supplier"]["id"] == supplier_user.memberships.first().organization_id
    assert set(body["facets"]) >= {"lot", "category"}


def test_api_bad_input_is_400_never_500(api_client, lot, ceiling, supplier_user):
    assert api_client.get("/api/v1/listings/", {"price_max": "lots"}).status_code == 400
    response = client_for(supplier_user).post("/api/v1/listings/", {"framework": lot.framework.pk, "lot": lot.pk,
                                                                    **listing_data(unit_price="99")}, format="json")
    assert response.status_code == 400
    assert "unit_price" in response.json()["error"]["fields"]


def test_api_category_tree(api_client, lot):
    from tests.factories import need_category

    parent = need_category("Store and back up data")
    need_category("Back up servers", parent=parent)
    body = api_client.get("/api/v1/categories/").json()
    assert body[0]["name"] == "Store and back up data"
    assert [child["name"] for child in body[0]["children"]] == ["Back up servers"]


def test_a_rejected_edit_of_a_published_listing_reads_published_with_changes_rejected(lot, ceiling, supplier_user,
                                                                                      authority_user):
    from django.test import Client

    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    listing = services.listing_publish(actor=authority_user, listing=services.listing_submit(actor=supplier_user,
                                                                                             listing=listing))
    assert listing.owner_status == ("Published", "")
    listing = services.listing_update(actor=supplier_user, listing=listing, data={"summary": "A better summary"})
    assert listing.owner_status == ("Published", "unpublished changes")
    listing = services.listing_submit(actor=supplier_user, listing=listing)
    assert listing.owner_status == ("Published", "changes awaiting review")
    listing = services.listing_reject(actor=authority_user, listing=listing, reason="Say what changed.")
    assert listing.owner_status == ("Published", "changes rejected")

    client = Client()
    client.force_login(supplier_user)
    page = client.get("/supplier/listings/").content.decode()
    assert '<span class="tag">Published</span> <span class="tag tag-grey">changes rejected</span>' in page
    assert "Say what changed." in page
    edit = client.get(f"/supplier/listings/{listing.pk}/edit/").content.decode()
    assert "The authority rejected the last submission:</strong> Say what changed." in edit
    # Buyers still find the published version.
    assert search_listings(user=None, query={"q": listing.current_version.title.split()[0]}).count >= 1


def test_a_never_published_listing_keeps_its_plain_status(lot, ceiling, supplier_user, authority_user):
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=complete_data())
    assert listing.owner_status == ("Draft", "")
    listing = services.listing_reject(actor=authority_user, listing=services.listing_submit(
        actor=supplier_user, listing=listing), reason="Incomplete.")
    assert listing.owner_status == ("Rejected", "")
