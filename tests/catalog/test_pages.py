import pytest
from django.test import Client

from audit.models import AuditEvent
from catalog import services
from catalog.models import Listing
from tests.factories import listing_data

pytestmark = pytest.mark.django_db


def client_as(user):
    client = Client()
    client.force_login(user)
    return client


def test_home_asks_what_do_you_need_and_lists_needs(corpus):
    body = Client().get("/").content.decode()
    assert "What do you need?" in body
    assert "Store and back up data" in body
    assert f'href="/search/?category={corpus["backup"].pk}"' in body
    assert body.count("<h1") == 1


def test_results_page_shows_count_facets_highlight_and_removable_filters(corpus):
    response = Client().get("/search/", {"q": "backup", "data_location": "peru"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 results" in body
    assert "<mark>backup</mark>" in body or "<mark>Backup</mark>" in body
    assert "Remove filter: Data location: Peru" in body
    assert "Data location" in body and "(1)" in body
    assert body.count("<h1") == 1


def test_results_page_offers_the_corrected_words(corpus):
    body = Client().get("/search/", {"q": "websiet"}).content.decode()
    assert "Showing results for <strong>website</strong>" in body
    assert "Website hosting" in body


def test_results_page_does_not_claim_results_for_a_correction_that_finds_nothing(corpus):
    response = Client().get("/search/", {"q": "backupp website"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Showing results for" not in body
    assert "No listing matches. Try fewer words or remove a filter." in body


def test_results_page_bad_filter_is_400_with_error_summary(corpus):
    response = Client().get("/search/", {"price_max": "cheap"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert '<li>Max price per unit: <a href="#search-q">Give a number such as 0.20.</a></li>' in response.content.decode()
    assert "price_max:" not in response.content.decode()


def test_listing_page_shows_price_ceiling_version_and_exit_statement(corpus):
    listing = corpus["listings"]["backup_peru"]
    body = Client().get(f"/listings/{listing.pk}/").content.decode()
    assert "Backup vault" in body
    assert "0.10\u00a0PEN per vCPU-hour" in body
    assert "0.25\u00a0PEN per vCPU-hour" in body
    assert "Version 1, published" in body
    assert "Export all data as open formats on exit." in body


def test_draft_listing_page_is_hidden_from_the_public(lot, ceiling, supplier_user):
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=listing_data())
    assert Client().get(f"/listings/{listing.pk}/").status_code == 404
    assert client_as(supplier_user).get(f"/supplier/listings/{listing.pk}/preview/").status_code == 200


def test_supplier_creates_a_listing_through_the_form_and_sees_errors(lot, ceiling, supplier_user):
    from tests.factories import need_category

    need = need_category("Store data", lots=[lot])
    client = client_as(supplier_user)
    assert "Which lot is this offer for?" in client.get("/supplier/listings/new/").content.decode()
    page = client.get("/supplier/listings/new/", {"lot": lot.pk}).content.decode()
    assert "Describe your offer" in page and 'for="id_title"' in page
    form = {"lot": lot.pk, "title": "Vault", "summary": "Backups", "unit": "vCPU-hour", "unit_price": "9.99",
            "categories": [str(need.pk)]}
    response = client.post("/supplier/listings/new/", form)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert Listing.objects.count() == 0
    form["unit_price"] = "0.2"
    response = client.post("/supplier/listings/new/", form)
    listing = Listing.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supplier/listings/{listing.pk}/preview/"
    assert "Vault" in client.get("/supplier/listings/").content.decode()
    client.post(f"/listings/{listing.pk}/submit/")
    listing.refresh_from_db()
    assert listing.status == "submitted"


def test_authority_review_queue_publishes_and_rejects(lot, ceiling, supplier_user, authority_user):
    from tests.factories import need_category

    need = need_category("Store data", lots=[lot])
    first = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                    data=listing_data(categories=[need.pk]))
    second = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                     data=listing_data(title="Second offer", categories=[need.pk]))
    for listing in (first, second):
        services.listing_submit(actor=supplier_user, listing=listing)
    client = client_as(authority_user)
    body = client.get("/review/").content.decode()
    assert "Managed backup service" in body and "Second offer" in body
    client.post(f"/listings/{first.pk}/publish/", {"next": "/review/"})
    client.post(f"/listings/{second.pk}/reject/", {"reason": "Unclear price", "next": "/review/"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.rejection_reason) == ("published", "rejected", "Unclear price")
    assert "Rejected: Unclear price" in client_as(supplier_user).get("/supplier/listings/").content.decode()


def test_csv_import_page_shows_the_row_report(lot, ceiling, supplier_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("offers.csv", b"lot,title,summary,unit,unit_price\n1,Ok,Fine,vCPU-hour,0.1\n"
                                              b"1,Dear,Too dear,vCPU-hour,5\n", content_type="text/csv")
    response = client_as(supplier_user).post("/supplier/listings/import/",
                                             {"framework": lot.framework.pk, "file": upload})
    body = response.content.decode()
    assert response.status_code == 400
    assert "1 of 2 rows have errors; nothing was imported." in body
    assert "<td>3</td><td>unit_price</td>" in body
    assert Listing.objects.count() == 0


def test_results_page_offers_a_framework_filter(corpus):
    framework = corpus["lot"].framework
    body = Client().get("/search/", {"framework": str(framework.pk)}).content.decode()
    assert f'id="f-framework-{framework.pk}" name="framework" value="{framework.pk}" checked' in body
    assert "6 results" in body


def test_import_page_offers_a_template_and_the_template_imports_once_filled(lot, ceiling, supplier_user):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from catalog.models import Listing
    from tests.factories import need_category

    need = need_category("Back up servers", lots=[lot])
    client = Client()
    client.force_login(supplier_user)
    page = client.get("/supplier/listings/import/").content.decode()
    assert f'/supplier/listings/import/template.csv?framework={lot.framework.pk}' in page
    assert f"<code>{need.slug}</code>" in page

    template = client.get(f"/supplier/listings/import/template.csv?framework={lot.framework.pk}")
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(template.content.decode())))
    assert len(rows) == 1 and rows[0]["lot"] == str(lot.number) and rows[0]["unit"] == ceiling.unit
    rows[0]["categories"] = need.name.upper()  # a need by its name, any case, works as well as its code
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    response = client.post("/supplier/listings/import/", {
        "framework": lot.framework.pk, "file": SimpleUploadedFile("l.csv", out.getvalue().encode(), "text/csv")})

    assert response.status_code == 302, response.content.decode()[:2000]
    imported = Listing.objects.get(title="Example: managed backup")
    assert imported.categories.get() == need
    assert client.get("/supplier/listings/import/template.csv?framework=999999").status_code == 404


def submitted_listing(lot, supplier_user, **overrides):
    from tests.factories import need_category

    need = need_category("Store data", lots=[lot])
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                      data=listing_data(categories=[need.pk], **overrides))
    return services.listing_submit(actor=supplier_user, listing=listing)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/review/", "http://evil.example/review/",
                                    "https:evil.example", "javascript:alert(1)", "/\\evil.example/"])
def test_listing_action_never_redirects_off_the_site(lot, ceiling, supplier_user, authority_user, target):
    listing = submitted_listing(lot, supplier_user)

    response = client_as(authority_user).post(f"/listings/{listing.pk}/publish/", {"next": target})

    listing.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/review/")
    assert listing.status == "published"
    assert client_as(authority_user).get(response["Location"]).status_code == 200


def test_a_supplier_action_with_a_refused_next_lands_on_its_own_listings(lot, ceiling, supplier_user):
    from tests.factories import need_category

    need = need_category("Store data", lots=[lot])
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                      data=listing_data(categories=[need.pk]))

    response = client_as(supplier_user).post(f"/listings/{listing.pk}/submit/", {"next": "https://evil.example/"})

    listing.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/supplier/listings/")
    assert listing.status == "submitted"
    assert client_as(supplier_user).get(response["Location"]).status_code == 200


def test_listing_action_follows_a_next_on_this_site(lot, ceiling, supplier_user, authority_user):
    listing = submitted_listing(lot, supplier_user)

    response = client_as(authority_user).post(f"/listings/{listing.pk}/publish/", {"next": "/review/"})

    assert (response.status_code, response["Location"]) == (302, "/review/")


def test_listing_action_over_https_refuses_a_plain_http_next(lot, ceiling, supplier_user, authority_user):
    listing = submitted_listing(lot, supplier_user)

    response = client_as(authority_user).post(f"/listings/{listing.pk}/publish/",
                                              {"next": "http://testserver/review/"}, secure=True)

    assert (response.status_code, response["Location"]) == (302, "/review/")


def test_rejecting_without_a_reason_says_so_once_and_changes_nothing(lot, ceiling, supplier_user, authority_user):
    listing = submitted_listing(lot, supplier_user)

    response = client_as(authority_user).post(f"/listings/{listing.pk}/reject/", {"reason": "  ", "next": "/review/"},
                                              follow=True)

    listing.refresh_from_db()
    assert [str(m) for m in response.context["messages"]] == [
        "Give the reason for rejection; the supplier will see it."]
    assert (listing.status, listing.rejection_reason) == ("submitted", "")


def test_submitting_an_incomplete_listing_still_says_what_is_missing(lot, ceiling, supplier_user):
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot, data=listing_data())

    response = client_as(supplier_user).post(f"/listings/{listing.pk}/submit/", follow=True)

    listing.refresh_from_db()
    assert [str(m) for m in response.context["messages"]] == [
        "The listing is not valid. Choose at least one need this listing meets."]
    assert listing.status == "draft"


def test_search_page_past_the_last_page_shows_the_last_page(corpus):
    response = Client().get("/search/", {"q": "backup", "page": "999"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "3 results" in body
    assert "There is no page 999; showing the last page." in body
    assert "No listing matches" not in body
    assert body.count('<article class="result">') == 3


def test_api_past_the_last_page_keeps_answering_an_empty_page(corpus, api_client):
    body = api_client.get("/api/v1/listings/", {"q": "backup", "page": "999"}).json()

    assert (body["count"], body["page"], body["pages"], body["results"], body["next"]) == (3, 999, 1, [], None)


@pytest.mark.parametrize(("query", "notice"), [
    ({"category": "999"}, "Ignored a filter that names no known need category: 999."),
    ({"category": "abc"}, "Ignored a filter that names no known need category: abc."),
    ({"framework": "999"}, "Ignored a filter that names no known framework: 999."),
    ({"lot": "999"}, "Ignored a filter that names no known lot: 999."),
    ({"supplier": "999"}, "Ignored a filter that names no known supplier: 999."),
    ({"supplier": str(10**30)}, f"Ignored a filter that names no known supplier: {10**30}."),
    ({"data_location": "mars"}, "Ignored a filter that names no known question or answer: data_location=mars."),
    ({"free_trial": "perhaps"}, "Ignored a filter that names no known question or answer: free_trial=perhaps."),
    ({"colour": "blue"}, "Ignored a filter that names no known question or answer: colour=blue."),
])
def test_search_page_ignores_a_filter_that_names_nothing_and_says_so(corpus, query, notice):
    response = Client().get("/search/", query)

    body = response.content.decode()
    assert response.status_code == 200
    assert notice in body
    assert "6 results" in body
    assert "Remove filter" not in body
    assert f'value="{next(iter(query.values()))}"' not in body


def test_search_page_keeps_the_known_values_of_a_filter_it_partly_ignores(corpus):
    backup = corpus["backup"]

    body = Client().get("/search/", {"category": [str(backup.pk), "999"], "data_location": ["peru", "mars"]}
                        ).content.decode()

    assert "1 result" in body
    assert "Remove filter: Need: Back up servers" in body
    assert "Remove filter: Data location: Peru" in body
    assert "Ignored a filter that names no known need category: 999." in body
    assert "Ignored a filter that names no known question or answer: data_location=mars." in body
    assert "Remove filter: Need: 999" not in body


def test_search_page_names_the_supplier_of_a_supplier_filter(corpus, supplier_user):
    supplier = supplier_user.memberships.first().organization

    body = Client().get("/search/", {"supplier": str(supplier.pk)}).content.decode()

    assert f"Remove filter: Supplier: {supplier.name}" in body
    assert "3 results" in body


def test_save_search_link_carries_only_the_filters_the_page_applied(corpus, buyer_user):
    backup = corpus["backup"]

    body = client_as(buyer_user).get("/search/", {"category": [str(backup.pk), "999"], "page": "2"}).content.decode()

    assert f'href="/buyer/searches/save/?category={backup.pk}"' in body


def test_csv_import_page_says_what_is_wrong_with_the_file_and_how_to_fix_it_at_its_field(lot, ceiling,
                                                                                           supplier_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_as(supplier_user).post("/supplier/listings/import/", {
        "framework": lot.framework.pk, "file": SimpleUploadedFile("empty.csv", b"  \n", content_type="text/csv")})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="error-summary"') == 1
    assert "<p>The file is empty.</p>" in body
    assert '<li>CSV file: <a href="#id_file">Add a header line and at least one row.</a></li>' in body
    assert '<span class="error-message">Add a header line and at least one row.</span>' in body
    assert Listing.objects.count() == 0


def test_listing_form_shows_the_services_refusal_in_the_one_error_summary(lot, ceiling, supplier_user):
    from tests.factories import need_category

    need = need_category("Store data", lots=[lot])
    response = client_as(supplier_user).post("/supplier/listings/new/", {
        "lot": lot.pk, "title": "Vault", "summary": "Backups", "unit": "vCPU-hour", "unit_price": "9.99",
        "categories": [str(need.pk)]})

    body = response.content.decode()
    assert body.count('class="error-summary"') == 1
    assert '<li>Price per unit: <a href="#id_unit_price">' in body
    assert Listing.objects.count() == 0


def test_a_supplier_pressing_publish_is_refused_with_a_403_and_nothing_changes(lot, ceiling, supplier_user):
    listing = submitted_listing(lot, supplier_user)
    events_before = AuditEvent.objects.count()

    response = client_as(supplier_user).post(f"/listings/{listing.pk}/publish/", {"next": "/supplier/listings/"})

    listing.refresh_from_db()
    assert response.status_code == 403
    assert (listing.status, listing.current_version_id, AuditEvent.objects.count()) == ("submitted", None,
                                                                                        events_before)


@pytest.mark.parametrize("key", ["page", "page_size"])
def test_search_api_refuses_a_page_that_is_not_a_whole_number(corpus, api_client, key):
    response = api_client.get("/api/v1/listings/", {"q": "backup", key: "two"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {key: ["Enter a whole number."]}


def test_digits_that_are_not_ascii_are_refused_not_a_server_error(corpus, api_client, supplier_user):
    assert api_client.get("/api/v1/listings/", {"page": "²"}).json()["error"]["fields"] == {
        "page": ["Enter a whole number."]}
    assert Client().get("/search/", {"q": "backup", "page": "²"}).status_code == 200
    supplier = client_as(supplier_user)
    assert "Which lot is this offer for?" in supplier.get("/supplier/listings/new/", {"lot": "²"}).content.decode()
    assert supplier.get("/supplier/listings/import/template.csv", {"framework": "²"}).status_code == 404
