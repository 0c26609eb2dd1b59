"""At phone width (390 px) in Chromium: the review forms' controls keep apart, and a table that scrolls sideways
shows that it does."""

import pytest

from catalog import services
from tests.browser.conftest import sign_in
from tests.factories import listing_data, need_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def submitted(lot, supplier_user, title):
    need = need_category(f"Need for {title}", lots=[lot])
    listing = services.listing_create(actor=supplier_user, framework=lot.framework, lot=lot,
                                      data=listing_data(title=title, categories=[need.pk]))
    return services.listing_submit(actor=supplier_user, listing=listing)


def test_review_forms_leave_space_between_publish_and_the_rejection_reason(phone, live_server, lot, ceiling,
                                                                           supplier_user, authority_user):
    submitted(lot, supplier_user, "Backup vault")
    sign_in(phone, live_server, authority_user.username)

    phone.goto(f"{live_server.url}/review/")

    section = phone.locator("section.result").first
    publish = section.get_by_role("button", name="Publish").bounding_box()
    reason_label = section.get_by_text("Reason for rejection", exact=True).bounding_box()
    assert reason_label["y"] - (publish["y"] + publish["height"]) >= 12
    assert phone.evaluate("document.documentElement.scrollWidth") == PHONE["width"]


def test_a_table_wider_than_the_phone_scrolls_in_its_box_with_an_edge_shadow(phone, live_server, lot, ceiling,
                                                                             supplier_user):
    submitted(lot, supplier_user, "Backup vault")
    sign_in(phone, live_server, supplier_user.username)

    phone.goto(f"{live_server.url}/supplier/listings/")

    wrap = phone.locator(".table-wrap").first
    assert wrap.evaluate("box => box.scrollWidth > box.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    # Shadows fixed to the box's edges, covers that travel with the content: the right shadow shows
    # until the last column is reached.
    attachments = wrap.evaluate("box => getComputedStyle(box).backgroundAttachment")
    assert attachments == "local, local, scroll, scroll"
    header_background = wrap.evaluate("box => getComputedStyle(box.querySelector('th')).backgroundColor")
    assert header_background.startswith("rgba(") and not header_background.endswith(", 0)")


def test_a_long_unbroken_word_wraps_instead_of_widening_the_page(phone, live_server, buyer_user):
    from marketplace.selection.inputs import RequirementInput
    from marketplace.selection.services import requirement_create

    word = "https://intranet.example.gob.pe/" + "expediente" * 30
    requirement = requirement_create(actor=buyer_user, details=RequirementInput(title="Hosting " + word[:150],
                                                                                description=word))
    sign_in(phone, live_server, buyer_user.username)

    phone.goto(f"{live_server.url}/buyer/requirements/{requirement.pk}/")

    assert phone.get_by_text(word).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
