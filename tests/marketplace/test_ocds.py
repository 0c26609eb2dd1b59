import copy
import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from agreements.models import Admission, FrameworkAgreement, Organization
from marketplace.ocds import releases as ocds
from marketplace.orders.models import CallOffOrder, Statement
from marketplace.selection.models import Award
from tests.clock import months_from_this_month
from tests.factories import AdmissionFactory, FrameworkFactory, LotFactory, OrganizationFactory
from tests.marketplace.factories_competitions import (
    award_as,
    close,
    create_competition,
    evaluate_as,
    org_of,
    publish,
    published_listing,
    submit,
)
from tests.marketplace.factories_orders import AwardFactory, ListingVersionFactory, OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/ocds/releases/"
# The schemas vendored in the repository (marketplace/ocds/schema/NOTICE says where they come from).
OCDS_DIR = Path(ocds.__file__).resolve().parent / "schema"
RELEASE_SCHEMA_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"


# --- Schema -----------------------------------------------------------------------------------------


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch, as OCDS applies extensions: ``null`` removes a key."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def declared_extensions() -> list[str]:
    """The extensions' names as the package declares them: ``.../ocds_techniques_extension/...`` → ``ocds_techniques``."""
    return [url.split("/")[4].removesuffix("_extension") for url in ocds.EXTENSIONS]


def test_the_vendored_schema_has_each_declared_extension_and_nothing_else():
    assert declared_extensions() == ["ocds_techniques", "ocds_competitive"]
    assert sorted(path.name for path in (OCDS_DIR / "extensions").iterdir()) == sorted(declared_extensions())
    assert sorted(str(path.relative_to(OCDS_DIR)) for path in OCDS_DIR.rglob("*") if path.is_file()) == [
        "LICENSE", "NOTICE", "extensions/ocds_competitive/release-schema.json",
        "extensions/ocds_techniques/release-schema.json", "release-package-schema.json", "release-schema.json",
    ]
    assert json.loads((OCDS_DIR / "release-schema.json").read_text())["id"] == RELEASE_SCHEMA_URL
    assert "Apache License" in (OCDS_DIR / "LICENSE").read_text()


@pytest.fixture(scope="module")
def package_validator():
    release_schema = json.loads((OCDS_DIR / "release-schema.json").read_text())
    for extension in declared_extensions():
        release_schema = merge_patch(
            release_schema, json.loads((OCDS_DIR / "extensions" / extension / "release-schema.json").read_text())
        )
    package_schema = json.loads((OCDS_DIR / "release-package-schema.json").read_text())
    registry = Registry().with_resource(
        RELEASE_SCHEMA_URL, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    return Draft4Validator(package_schema, registry=registry)


def assert_valid(validator, package) -> None:
    errors = sorted(validator.iter_errors(package), key=lambda error: list(error.absolute_path))
    assert [f"{list(error.absolute_path)}: {error.message}" for error in errors] == []


# --- Data ---------------------------------------------------------------------------------------------


@pytest.fixture
def world(framework, lot, buyer_user, approver_user, supplier_user, other_supplier_user, authority_user, auditor_user):
    """A live framework with two admitted suppliers; a direct award with an active order and two
    statements; a competition award (draft order); a no-award; an open framework without suppliers
    and a draft framework (never published)."""
    supplier = org_of(supplier_user)
    supplier.contact_email = "sales.person@supplier.test"
    supplier.save(update_fields=["contact_email"])
    buyer = org_of(buyer_user)

    version = ListingVersionFactory(listing__framework=framework, listing__lot=lot, listing__supplier=supplier)
    direct = AwardFactory(organization=buyer, listing_version=version, created_by=buyer_user,
                          estimated_total=Decimal("950.40"))
    order = OrderFactory(award=direct, version=version, buyer=buyer, cap=Decimal("1000.00"),
                         created_by=buyer_user, activated_by=approver_user,
                         activated_at=datetime.combine(months_from_this_month(-11, day=2), time(9, 0), tzinfo=UTC))
    Statement.objects.create(order=order, month=months_from_this_month(-11), total=Decimal("120.50"), records=3,
                             lines=[{"line": 1, "total": "120.50"}])
    Statement.objects.create(order=order, month=months_from_this_month(-10), total=Decimal("79.25"), records=2,
                             lines=[{"line": 1, "total": "79.25"}])

    competition = publish(buyer_user, create_competition(buyer_user, lot))
    published_listing(supplier=supplier, lot=lot, unit="vCPU-hour", price="0.200000")
    published_listing(supplier=org_of(other_supplier_user), lot=lot, unit="vCPU-hour", price="0.220000")
    top = submit(supplier_user, competition, "0.18", "0.08")
    runner_up = submit(other_supplier_user, competition, "0.20", "0.08")
    close(competition)
    evaluate_as(actor=buyer_user, competition_id=competition.pk,
                                              evaluations=[{"quote": top.pk}, {"quote": runner_up.pk}])
    competed = award_as(
        actor=buyer_user, competition_id=competition.pk, quote_id=top.pk, justification="Lowest valid price",
        start=months_from_this_month(1).isoformat(), end=months_from_this_month(12, day=-1).isoformat(),
    )

    no_award = AwardFactory(organization=buyer, framework=framework, listing_version=None, supplier=None,
                            outcome=Award.Outcome.NO_AWARD, justification="Nothing met the essentials",
                            created_by=buyer_user)

    open_framework = FrameworkFactory(status=FrameworkAgreement.Status.OPEN, title="Office equipment")
    LotFactory(framework=open_framework, number=1, title="Printers", is_goods=True)
    draft = FrameworkFactory(status=FrameworkAgreement.Status.DRAFT, title="Secret draft")
    return {
        "framework": framework, "lot": lot, "direct": direct, "order": order, "competed": competed,
        "competition": competition, "no_award": no_award, "open_framework": open_framework, "draft": draft,
        "supplier": supplier, "other_supplier": org_of(other_supplier_user), "buyer": buyer,
        "approver_user": approver_user,
    }


def by_ocid(package) -> dict:
    return {release["ocid"]: release for release in package["releases"]}


def fetch(api_client, **params) -> dict:
    response = api_client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- Validity -----------------------------------------------------------------------------------------


def test_api_package_is_valid_ocds_with_extensions(api_client, world, package_validator):
    package = fetch(api_client)

    assert_valid(package_validator, package)
    assert package["version"] == "1.1"
    assert package["extensions"] == ocds.EXTENSIONS
    assert package["uri"] == "http://testserver/api/v1/ocds/releases/"
    assert package["publisher"] == {"name": "Framework-agreement e-catalog marketplace"}
    assert package["publishedDate"] == max(release["date"] for release in package["releases"])
    assert sorted(by_ocid(package)) == sorted([
        ocds.framework_ocid(world["framework"]), ocds.framework_ocid(world["open_framework"]),
        ocds.call_off_ocid(world["direct"]), ocds.call_off_ocid(world["competed"]),
        ocds.call_off_ocid(world["no_award"]),
    ])


def test_the_validator_is_not_vacuous(api_client, world, package_validator):
    package = fetch(api_client)
    release = by_ocid(package)[ocds.call_off_ocid(world["direct"])]
    release["tender"]["competitive"] = "no"  # the competitive extension's field is a boolean
    release["tender"]["techniques"]["frameworkAgreement"] = {"method": "sometimes"}  # closed codelist
    release["contracts"][0]["value"]["amount"] = "1000.00"  # OCDS amounts are numbers
    del release["initiationType"]

    messages = sorted(error.message for error in package_validator.iter_errors(package))

    assert messages == [
        "'1000.00' is not of type 'number', 'null'",
        "'initiationType' is a required property",
        "'no' is not of type 'boolean', 'null'",
        "'sometimes' is not one of ['withReopeningCompetition', 'withoutReopeningCompetition', "
        "'withAndWithoutReopeningCompetition', None]",
    ]


def test_every_page_and_the_export_are_valid(api_client, world, package_validator, tmp_path):
    first = fetch(api_client, page_size=2)
    second = fetch(api_client, page_size=2, page=2)
    third = fetch(api_client, page_size=2, page=3)
    output = tmp_path / "ocds.json"
    call_command("export_ocds", output=output, stderr=StringIO())
    exported = json.loads(output.read_text())

    for package in (first, second, third, exported):
        assert_valid(package_validator, package)
    assert [len(page["releases"]) for page in (first, second, third)] == [2, 2, 1]
    assert first["links"] == {"next": "http://testserver/api/v1/ocds/releases/?page_size=2&page=2"}
    assert second["links"] == {
        "next": "http://testserver/api/v1/ocds/releases/?page_size=2&page=3",
        "prev": "http://testserver/api/v1/ocds/releases/?page_size=2&page=1",
    }
    assert "next" not in third["links"]
    paged = [release["id"] for page in (first, second, third) for release in page["releases"]]
    assert paged == [release["id"] for release in exported["releases"]]
    assert len(set(paged)) == 5


# --- Frameworks -----------------------------------------------------------------------------------------


def test_framework_is_a_first_stage_process_with_its_suppliers_as_awards(api_client, world):
    framework, lot = world["framework"], world["lot"]
    release = by_ocid(fetch(api_client))[f"ocds-mkt000-fa-{framework.pk}"]
    supplier, other = world["supplier"], world["other_supplier"]
    authority = framework.authority

    assert release["tag"] == ["tender", "award"]
    assert release["initiationType"] == "tender"
    assert release["tender"]["id"] == framework.reference
    assert release["tender"]["status"] == "complete"
    assert release["tender"]["procurementMethod"] == "open"
    assert release["tender"]["mainProcurementCategory"] == "services"
    assert release["tender"]["techniques"] == {
        "hasFrameworkAgreement": True,
        "frameworkAgreement": {
            "method": "withAndWithoutReopeningCompetition",
            "period": {"startDate": f"{months_from_this_month(-11)}T00:00:00Z", "endDate": f"{months_from_this_month(24, day=-1)}T23:59:59Z"},
        },
    }
    authority_id = f"PE-RUC-{authority.legal_identifier}"
    assert release["buyer"] == {"id": authority_id, "name": authority.name}
    assert release["tender"]["procuringEntity"] == release["buyer"]
    suppliers = sorted([supplier, other], key=lambda organization: organization.name)
    assert [award["suppliers"] for award in release["awards"]] == [
        [{"id": f"PE-RUC-{organization.legal_identifier}", "name": organization.name}] for organization in suppliers
    ]
    assert {award["status"] for award in release["awards"]} == {"active"}
    assert {award["title"] for award in release["awards"]} == {f"Lot 1: {lot.title}"}
    parties = {party["id"]: party for party in release["parties"]}
    assert parties[authority_id]["roles"] == ["buyer", "procuringEntity"]
    assert parties[f"PE-RUC-{supplier.legal_identifier}"] == {
        "id": f"PE-RUC-{supplier.legal_identifier}",
        "name": supplier.name,
        "identifier": {"scheme": "PE-RUC", "id": supplier.legal_identifier, "legalName": supplier.name},
        "roles": ["supplier"],
    }


def test_open_framework_without_suppliers_is_a_tender_only(api_client, world):
    release = by_ocid(fetch(api_client))[ocds.framework_ocid(world["open_framework"])]
    assert release["tag"] == ["tender"]
    assert "awards" not in release
    assert (release["tender"]["status"], release["tender"]["mainProcurementCategory"]) == ("active", "goods")


def test_draft_frameworks_and_their_call_offs_are_not_published(api_client, world):
    package = fetch(api_client)
    assert ocds.framework_ocid(world["draft"]) not in by_ocid(package)
    assert "Secret draft" not in json.dumps(package)


def test_excluded_admission_is_a_cancelled_award(api_client, world):
    Admission.objects.filter(supplier=world["other_supplier"]).update(status=Admission.Status.EXCLUDED)
    AdmissionFactory(lot=world["lot"], status=Admission.Status.APPLIED)
    release = by_ocid(fetch(api_client))[ocds.framework_ocid(world["framework"])]
    statuses = {award["suppliers"][0]["name"]: award["status"] for award in release["awards"]}
    assert statuses == {world["supplier"].name: "active", world["other_supplier"].name: "cancelled"}


# --- Call-offs and linkage ----------------------------------------------------------------------------------


def test_direct_call_off_links_to_its_framework_with_contract_and_transactions(api_client, world):
    package = fetch(api_client)
    releases = by_ocid(package)
    framework_release = releases[ocds.framework_ocid(world["framework"])]
    release = releases[f"ocds-mkt000-co-{world['direct'].pk}"]
    order = world["order"]

    assert release["relatedProcesses"] == [{
        "id": "framework", "relationship": ["framework"], "title": world["framework"].title,
        "scheme": "ocid", "identifier": framework_release["ocid"],
    }]
    assert release["tag"] == ["tender", "award", "contract", "implementation"]
    assert release["tender"]["competitive"] is False
    assert release["tender"]["techniques"] == {"hasFrameworkAgreement": True}
    assert (release["tender"]["status"], release["tender"]["procurementMethod"]) == ("complete", "limited")
    award = release["awards"][0]
    assert award["value"] == {"amount": 950.4, "currency": "PEN"}
    assert award["suppliers"] == [{"id": f"PE-RUC-{world['supplier'].legal_identifier}",
                                   "name": world["supplier"].name}]
    (contract,) = release["contracts"]
    assert contract["awardID"] == award["id"]
    assert contract["id"] == order.reference
    assert Decimal(str(contract["value"]["amount"])) == order.cap == Decimal("1000.00")
    assert contract["value"]["currency"] == "PEN"
    assert contract["status"] == "active"
    assert contract["dateSigned"] == f"{months_from_this_month(-11, day=2)}T09:00:00Z"
    assert contract["period"] == {"startDate": f"{months_from_this_month(-11)}T00:00:00Z", "endDate": f"{months_from_this_month(12, day=-1)}T23:59:59Z"}
    transactions = contract["implementation"]["transactions"]
    assert [(item["id"], item["date"], item["value"]) for item in transactions] == [
        (f"{order.reference}-{months_from_this_month(-11):%Y-%m}", f"{months_from_this_month(-11, day=-1)}T23:59:59Z", {"amount": 120.5, "currency": "PEN"}),
        (f"{order.reference}-{months_from_this_month(-10):%Y-%m}", f"{months_from_this_month(-10, day=-1)}T23:59:59Z", {"amount": 79.25, "currency": "PEN"}),
    ]
    statements_total = sum(order.statements.values_list("total", flat=True))
    assert sum(Decimal(str(item["value"]["amount"])) for item in transactions) == statements_total == Decimal("199.75")
    buyer_id = f"PE-RUC-{world['buyer'].legal_identifier}"
    assert {item["payer"]["id"] for item in transactions} == {buyer_id}
    assert {item["payee"]["id"] for item in transactions} == {award["suppliers"][0]["id"]}
    roles = {party["id"]: party["roles"] for party in release["parties"]}
    assert roles == {buyer_id: ["buyer", "procuringEntity", "payer"],
                     award["suppliers"][0]["id"]: ["supplier", "payee"]}


def test_competition_call_off_is_competitive_with_its_tenderers(api_client, world):
    release = by_ocid(fetch(api_client))[ocds.call_off_ocid(world["competed"])]
    order = CallOffOrder.objects.get(award=world["competed"])

    assert release["relatedProcesses"][0]["identifier"] == ocds.framework_ocid(world["framework"])
    assert release["tender"]["competitive"] is True
    assert (release["tender"]["procurementMethod"], release["tender"]["awardCriteria"]) == ("selective", "priceOnly")
    assert release["tender"]["numberOfTenderers"] == 2
    assert release["tender"]["title"] == world["competition"].title
    assert release["awards"][0]["value"] == {"amount": 220.0, "currency": "PEN"}
    assert release["tag"] == ["tender", "award", "contract"]
    (contract,) = release["contracts"]
    assert (contract["status"], Decimal(str(contract["value"]["amount"]))) == ("pending", order.cap)
    assert "implementation" not in contract


def test_no_award_is_an_unsuccessful_call_off_without_awards(api_client, world):
    release = by_ocid(fetch(api_client))[ocds.call_off_ocid(world["no_award"])]
    assert release["tag"] == ["tender"]
    assert release["tender"]["status"] == "unsuccessful"
    assert "awards" not in release and "contracts" not in release
    assert release["relatedProcesses"][0]["identifier"] == ocds.framework_ocid(world["framework"])


def test_no_personal_data_of_users_is_published(api_client, world, tmp_path):
    text = json.dumps(fetch(api_client))
    output = tmp_path / "export.json"
    call_command("export_ocds", output=output, stderr=StringIO())
    exported = output.read_text()
    users = get_user_model().objects.all()
    assert users.count() >= 6
    for user in users:
        for value in (user.username, user.email):
            assert value not in text
            assert value not in exported
    assert "@" not in text and "@" not in exported
    assert "Nothing met the essentials" not in text  # free-text justifications may name people


def test_release_ids_are_stable_and_change_with_the_content(api_client, world):
    first = by_ocid(fetch(api_client))
    again = by_ocid(fetch(api_client))
    order = world["order"]
    Statement.objects.create(order=order, month=months_from_this_month(-9), total=Decimal("10.00"), records=1)
    changed = by_ocid(fetch(api_client))

    assert {ocid: release["id"] for ocid, release in first.items()} == {
        ocid: release["id"] for ocid, release in again.items()
    }
    ocid = ocds.call_off_ocid(world["direct"])
    assert changed[ocid]["id"] != first[ocid]["id"]
    assert changed[ocid]["id"].startswith(f"{ocid}-")
    assert changed[ocid]["date"] >= first[ocid]["date"]
    unchanged = ocds.framework_ocid(world["framework"])
    assert changed[unchanged]["id"] == first[unchanged]["id"]


def test_a_provisional_statement_is_not_published_as_a_transaction(api_client, world):
    order = world["order"]
    before = by_ocid(fetch(api_client))
    today = timezone.localdate()
    Statement.objects.create(order=order, month=today.replace(day=1), total=Decimal("10.00"), records=1)
    during = by_ocid(fetch(api_client))
    Statement.objects.filter(order=order, month=today.replace(day=1)).update(
        generated_at=timezone.now() + timedelta(days=32))  # as if produced again after the month ended
    after = by_ocid(fetch(api_client))

    ocid = ocds.call_off_ocid(world["direct"])

    def transaction_ids(release):
        return [item["id"] for item in release["contracts"][0]["implementation"]["transactions"]]

    current = f"{order.reference}-{today:%Y-%m}"
    assert current not in transaction_ids(during[ocid])
    assert during[ocid]["id"] == before[ocid]["id"]
    assert transaction_ids(after[ocid])[-1] == current
    assert after[ocid]["id"] != before[ocid]["id"]


def test_cap_amendments_are_published_as_contract_amendments(api_client, world, package_validator):
    from marketplace.orders.services import order_amend_cap

    order = world["order"]
    order_amend_cap(actor=world["approver_user"], order_id=order.pk, cap="1500.00",
                    justification="Ana Pérez asked for more storage")
    order_amend_cap(actor=world["approver_user"], order_id=order.pk, cap="1200.00", justification="Less needed")
    package = fetch(api_client)

    assert_valid(package_validator, package)
    release = by_ocid(package)[ocds.call_off_ocid(world["direct"])]
    (contract,) = release["contracts"]
    assert "contractAmendment" in release["tag"]
    assert contract["value"] == {"amount": 1200.0, "currency": "PEN"}
    assert [(item["id"], item["description"]) for item in contract["amendments"]] == [
        (f"{order.reference}-cap-1", "Cap raised from 1000.00 to 1500.00 PEN; spent when amended: 0.00 PEN."),
        (f"{order.reference}-cap-2", "Cap lowered from 1500.00 to 1200.00 PEN; spent when amended: 0.00 PEN."),
    ]
    assert "Ana" not in json.dumps(package)


def test_ocid_prefix_is_a_setting(api_client, world, settings):
    settings.MARKETPLACE = {**settings.MARKETPLACE, "OCID_PREFIX": "ocds-abc123"}
    release = by_ocid(fetch(api_client))[f"ocds-abc123-co-{world['direct'].pk}"]
    assert release["relatedProcesses"][0]["identifier"] == f"ocds-abc123-fa-{world['framework'].pk}"


# --- API and command ------------------------------------------------------------------------------------


def test_since_keeps_releases_changed_at_or_after_it(api_client, world):
    FrameworkAgreement.objects.filter(pk=world["open_framework"].pk).update(created_at=datetime.combine(months_from_this_month(-23), time(), tzinfo=UTC))
    old = ocds.framework_ocid(world["open_framework"])

    assert by_ocid(fetch(api_client, since=months_from_this_month(-24, day=-1).isoformat()))[old]["date"] == f"{months_from_this_month(-23)}T00:00:00Z"
    recent = fetch(api_client, since=months_from_this_month(-18).isoformat())
    assert old not in by_ocid(recent)
    assert len(recent["releases"]) == 4
    assert old not in by_ocid(fetch(api_client, since=f"{months_from_this_month(-23)}T00:00:01Z"))
    nothing = api_client.get(URL, {"since": "2999-01-01"})
    assert nothing.status_code == 404  # a release package must hold at least one release
    assert nothing.json()["error"]["code"] == "no_releases"
    assert nothing.json()["error"]["message"] == "No release is dated at or after 2999-01-01."


def test_bad_parameters_are_refused_with_the_error_shape(api_client, world):
    response = api_client.get(URL, {"since": "last tuesday"})
    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "validation_error", "message": "Give the date as YYYY-MM-DD or an ISO 8601 date-time.",
        "fields": {"since": ["Give the date as YYYY-MM-DD or an ISO 8601 date-time."]},
    }}
    # Before the first representable instant once turned into UTC: refused, not a server error.
    response = api_client.get(URL, {"since": "0001-01-01T00:00:00+01:00"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "validation_error")
    response = api_client.get(URL, {"page_size": "5000"})
    assert (response.status_code, response.json()["error"]["fields"]) == (
        400, {"page_size": ["Enter a whole number from 1 to 1000."]})
    response = api_client.get(URL, {"page": "x"})
    assert (response.status_code, response.json()["error"]["fields"]) == (400, {"page": ["Enter a whole number."]})
    response = api_client.get(URL, {"page": "0"})
    assert (response.status_code, response.json()["error"]["fields"]) == (
        400, {"page": ["Enter a whole number from 1 to 1000000."]})
    response = api_client.get(URL, {"page": "9"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_the_endpoint_is_public_and_read_only(api_client, world):
    assert api_client.get(URL).status_code == 200
    assert api_client.post(URL, {}).status_code == 405
    assert Organization.objects.filter(kind=Organization.Kind.SUPPLIER).count() >= 2


def test_export_writes_to_stdout_and_filters_by_since(world):
    out, err = StringIO(), StringIO()
    call_command("export_ocds", since="2999-01-01", stdout=out, stderr=err)
    assert out.getvalue() == ""  # no package: a release package must hold at least one release
    assert err.getvalue() == "0 releases: nothing written (none dated at or after 2999-01-01)\n"

    out = StringIO()
    call_command("export_ocds", stdout=out, stderr=StringIO(), uri="https://data.example.org/ocds.json")
    package = json.loads(out.getvalue())
    assert package["uri"] == "https://data.example.org/ocds.json"
    assert len(package["releases"]) == 5

    with pytest.raises(CommandError, match="--since: give YYYY-MM-DD"):
        call_command("export_ocds", since="soon", stdout=StringIO(), stderr=StringIO())


def test_release_building_uses_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    version = ListingVersionFactory()  # on a framework of its own: one more framework release
    OrderFactory(version=version, buyer=world["buyer"],
                 award=AwardFactory(organization=world["buyer"], listing_version=version))
    OrganizationFactory(kind=Organization.Kind.SUPPLIER)
    with django_assert_max_num_queries(20):
        assert len(ocds.releases()) == 7


@pytest.mark.django_db
def test_with_nothing_published_the_feed_says_so_instead_of_an_invalid_empty_package(api_client):
    response = api_client.get(URL)

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("no_releases", "Nothing is published yet.")
