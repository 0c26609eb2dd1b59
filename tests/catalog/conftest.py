"""A small hand-counted corpus: 6 published listings in two lots, with two filter questions."""

import pytest

from tests.factories import AttributeDefinitionFactory, CeilingPriceFactory, need_category, published_listing

LOCATION = [{"value": "peru", "label": "Peru"}, {"value": "eu", "label": "European Union"},
            {"value": "usa", "label": "United States"}]


@pytest.fixture
def corpus(lot, ceiling, supplier_user, other_supplier_user, authority_user):
    from tests.factories import AdmissionFactory, LotFactory

    lot2 = LotFactory(framework=lot.framework, number=2, title="Cloud software")
    CeilingPriceFactory(lot=lot2, unit="user-month", max_unit_price="60.000000")
    for supplier in (supplier_user, other_supplier_user):
        AdmissionFactory(supplier=supplier.memberships.first().organization, lot=lot2)
    for target in (lot, lot2):
        AttributeDefinitionFactory(lot=target, key="data_location", label="Data location", kind="choice",
                                   choices=LOCATION)
        AttributeDefinitionFactory(lot=target, key="free_trial", label="Free trial", kind="boolean", choices=[])
    store = need_category("Store and back up data", lots=[lot])
    backup = need_category("Back up servers", parent=store, lots=[lot])
    website = need_category("Host a public website", lots=[lot])
    collaborate = need_category("Collaborate and email", lots=[lot2])

    def make(user, target, **data):
        return published_listing(supplier_user=user, authority_user=authority_user, lot=target, **data)

    listings = {
        "backup_peru": make(supplier_user, lot, title="Backup vault", summary="Nightly backup of servers in Lima.",
                            categories=[backup.pk], unit_price="0.100000",
                            attributes={"data_location": "peru", "free_trial": True}),
        "backup_eu": make(other_supplier_user, lot, title="Cold storage archive",
                          summary="Archive storage with yearly restore tests.",
                          description="Includes backup of databases.", categories=[store.pk],
                          unit_price="0.200000", attributes={"data_location": "eu", "free_trial": False}),
        "web_peru": make(supplier_user, lot, title="Website hosting", summary="Host a public website with CDN.",
                         categories=[website.pk], unit_price="0.150000",
                         attributes={"data_location": "peru", "free_trial": False}),
        "web_usa": make(other_supplier_user, lot, title="Static site hosting",
                        summary="Fast static website hosting.", categories=[website.pk], unit_price="0.050000",
                        attributes={"data_location": "usa", "free_trial": True}),
        "mail_eu": make(supplier_user, lot2, title="Team email", summary="Email and calendars for civil servants.",
                        categories=[collaborate.pk], unit="user-month", unit_price="5.000000",
                        attributes={"data_location": "eu", "free_trial": True}),
        "chat_peru": make(other_supplier_user, lot2, title="Secure chat", summary="Encrypted chat with backup export.",
                          categories=[collaborate.pk], unit="user-month", unit_price="3.000000",
                          attributes={"data_location": "peru"}),
    }
    return {"lot": lot, "lot2": lot2, "store": store, "backup": backup, "website": website,
            "collaborate": collaborate, "listings": listings}
