"""The listing-import CSV: the template's example row fits its lot, and the error report names columns as in the file."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog import services
from catalog.models import Listing
from common.errors import ValidationFailed
from tests.factories import (
    AdmissionFactory,
    AttributeDefinitionFactory,
    CeilingPriceFactory,
    FrameworkFactory,
    LotFactory,
)

pytestmark = pytest.mark.django_db

LOCATION = [{"value": "peru", "label": "Peru"}, {"value": "eu", "label": "European Union"}]


def client_as(user):
    client = Client()
    client.force_login(user)
    return client


def template_rows(client, framework) -> list[dict[str, str]]:
    response = client.get(f"/supplier/listings/import/template.csv?framework={framework.pk}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def paper_lot(supplier_user):
    framework = FrameworkFactory(title="Office Equipment and Supplies")
    lot = LotFactory(framework=framework, number=1, title="Paper and consumables", is_goods=True,
                     max_delivery_days=5)
    for unit, ceiling in (("ream", "25.000000"), ("box", "120.000000"), ("cartridge", "380.000000")):
        CeilingPriceFactory(lot=lot, unit=unit, max_unit_price=ceiling)
    AdmissionFactory(supplier=supplier_user.memberships.first().organization, lot=lot)
    return lot


def test_template_for_a_goods_lot_has_an_office_goods_example_below_the_ceiling(paper_lot, supplier_user):
    client = client_as(supplier_user)

    rows = template_rows(client, paper_lot.framework)

    assert len(rows) == 1
    example = rows[0]
    assert {column: example[column] for column in ("lot", "title", "unit", "unit_price", "stock", "lead_time_days",
                                                    "exit_statement")} == {
        "lot": "1", "title": "Example: A4 copy paper, 80 g/m²", "unit": "box", "unit_price": "108.00",
        "stock": "200", "lead_time_days": "5", "exit_statement": "",
    }
    assert example["summary"] == "White A4 paper for printers and copiers, sold by the box."
    assert not any("backup" in value or "data back" in value for value in example.values())


def test_the_goods_example_imports_as_it_stands(paper_lot, supplier_user):
    client = client_as(supplier_user)
    text = client.get(f"/supplier/listings/import/template.csv?framework={paper_lot.framework.pk}").content

    response = client.post("/supplier/listings/import/", {
        "framework": paper_lot.framework.pk, "file": SimpleUploadedFile("paper.csv", text, "text/csv")})

    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get()
    assert (listing.lot, listing.unit, listing.unit_price, listing.stock, listing.lead_time_days) == (
        paper_lot, "box", Decimal("108.000000"), 200, 5)


def test_the_goods_example_keeps_within_a_shorter_delivery_limit(paper_lot, supplier_user):
    paper_lot.max_delivery_days = 2
    paper_lot.save(update_fields=["max_delivery_days"])

    rows = template_rows(client_as(supplier_user), paper_lot.framework)

    assert rows[0]["lead_time_days"] == "2"


def test_template_for_a_cloud_lot_has_a_cloud_example_below_the_ceiling(lot, ceiling, supplier_user):
    rows = template_rows(client_as(supplier_user), lot.framework)

    assert {column: rows[0][column] for column in ("title", "unit", "unit_price", "stock", "lead_time_days",
                                                    "exit_statement")} == {
        "title": "Example: managed backup", "unit": "vCPU-hour", "unit_price": "0.225", "stock": "",
        "lead_time_days": "", "exit_statement": "How the buyer gets its data back at the end.",
    }


def test_import_errors_name_answer_columns_as_the_file_does(lot, ceiling, supplier_user):
    AttributeDefinitionFactory(lot=lot, key="data_location", label="Data location", kind="choice", choices=LOCATION)
    text = ("lot,title,summary,unit,unit_price,attr:data_location,attr:colour\n"
            "1,Backup vault,Nightly backup,vCPU-hour,0.10,mars,blue\n")

    with pytest.raises(ValidationFailed) as error:
        services.listings_import_csv(actor=supplier_user, framework=lot.framework, file=text)

    assert error.value.extra["rows"] == [{"row": 2, "errors": {
        "attr:data_location": ["Choose one of: peru, eu."], "attr:colour": ["This lot has no question with this key."],
    }}]
    assert Listing.objects.count() == 0


def test_import_page_reports_answer_columns_as_the_file_names_them(lot, ceiling, supplier_user):
    AttributeDefinitionFactory(lot=lot, key="data_location", label="Data location", kind="choice", choices=LOCATION)
    text = b"lot,title,summary,unit,unit_price,attr:data_location\n1,Backup vault,Nightly backup,vCPU-hour,0.10,mars\n"

    response = client_as(supplier_user).post("/supplier/listings/import/", {
        "framework": lot.framework.pk, "file": SimpleUploadedFile("bad.csv", text, "text/csv")})

    body = response.content.decode()
    assert response.status_code == 400
    assert "<tr><td>2</td><td>attr:data_location</td><td>Choose one of: peru, eu.</td></tr>" in body
    assert "attributes.data_location" not in body
    assert Listing.objects.count() == 0
