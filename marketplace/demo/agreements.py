"""Parties, users, frameworks, lots, ceiling prices and admissions for the demo."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements import services
from agreements.models import Admission, FrameworkAgreement, Lot, Membership, Organization

DEMO_PASSWORD = "demo-pass-2026"
SEED_USERNAME = "demo-seed"  # the superuser that registers the demo's parties; it cannot sign in

AUTHORITY = ("Central Public Procurement Agency", "20600000001", "PE")
BUYERS = [
    ("Ministry of Health", "20131373237", "PE"),
    ("Municipality of Arequipa", "20159515240", "PE"),
]
OVERSIGHT = ("Office of the Comptroller General", "20131378972", "PE")
SUPPLIERS = [
    "Andes Cloud Hosting S.A.C.", "Pacific Data Centers S.A.", "Inca Software Solutions S.A.C.",
    "Condor IT Services E.I.R.L.", "Lima Digital Systems S.A.", "Sierra Networks S.A.C.",
    "Amazonia Tech Partners S.A.", "Cusco Cloud Works S.R.L.", "Nazca Analytics S.A.C.", "Titicaca Telecom S.A.",
    "Chavin Security Labs S.A.C.", "Huascaran Hosting S.A.", "Callao Office Supplies S.A.C.",
    "Trujillo Paper & Print S.A.", "Piura Furniture Makers S.A.C.", "Ica Computer Distributors S.A.",
    "Tacna Equipment Imports S.R.L.", "Puno Stationery Group S.A.C.", "Chiclayo Business Machines S.A.",
    "Huancayo Ergonomics S.A.C.", "Ayacucho Print Services E.I.R.L.", "Cajamarca Green Supplies S.A.",
    "Loreto Open Source Cooperative", "Moquegua Managed Services S.A.C.", "Tumbes Backup & Recovery S.A.",
    "Ucayali Identity Systems S.A.C.", "Pasco Learning Platforms S.A.", "Apurimac Case Management S.A.C.",
    "Madre de Dios Mobile Apps S.R.L.", "San Martin Support Desk S.A.C.", "Ancash Geospatial S.A.",
    "Lambayeque Printing Consumables S.A.C.",
]
USERS = [
    # username, organization key, roles
    ("authority", "authority", [Membership.Role.ADMINISTRATOR]),
    ("buyer", "buyer0", [Membership.Role.REQUESTER]),
    ("approver", "buyer0", [Membership.Role.APPROVER]),
    ("buyer2", "buyer1", [Membership.Role.REQUESTER, Membership.Role.APPROVER]),
    ("supplier", "supplier0", [Membership.Role.PUBLISHER]),
    ("supplier2", "supplier1", [Membership.Role.PUBLISHER]),
    ("auditor", "oversight", [Membership.Role.AUDITOR]),
]

FRAMEWORKS = [
    {
        "reference": "FA-2026-CLOUD",
        "title": "Cloud Services",
        "description": "Cloud hosting, cloud software and cloud support for public entities, priced by consumption.",
        "currency": "PEN",
        "lots": [
            (1, "Cloud hosting", False, None,
             [("vCPU-hour", "0.250000"), ("GB-month", "0.120000"), ("instance-month", "450.000000")]),
            (2, "Cloud software", False, None, [("user-month", "60.000000"), ("licence-year", "900.000000")]),
            (3, "Cloud support", False, None, [("support-day", "1800.000000"), ("support-hour", "260.000000")]),
        ],
    },
    {
        "reference": "FA-2026-OFFICE",
        "title": "Office Equipment and Supplies",
        "description": "Paper, consumables, computers, peripherals and furniture delivered to public offices.",
        "currency": "PEN",
        "lots": [
            (1, "Paper and consumables", True, 5, [("ream", "25.000000"), ("box", "120.000000"), ("cartridge", "380.000000")]),
            (2, "Computers and peripherals", True, 15, [("unit", "6500.000000")]),
            (3, "Office furniture", True, 20, [("unit", "2500.000000"), ("set", "8000.000000")]),
        ],
    },
]


def seed_actor():
    """The demo's parties are registered by a superuser, as an operator would through the admin; this one
    is inactive and has no usable password, so it is no login."""
    user, created = get_user_model().objects.get_or_create(
        username=SEED_USERNAME, defaults={"is_superuser": True, "is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _organization(kind: str, name: str, identifier: str, country: str) -> Organization:
    existing = Organization.objects.filter(identifier_scheme=f"{country}-RUC", legal_identifier=identifier).first()
    if existing:
        return existing
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
    return services.organization_create(
        actor=seed_actor(), kind=kind, name=name, legal_identifier=identifier, country=country, identifier_scheme=f"{country}-RUC",
        contact_email=f"contact@{slug}.example",
    )


def seed_parties(out) -> dict[str, Organization]:
    orgs: dict[str, Organization] = {"authority": _organization("authority", *AUTHORITY)}
    for index, buyer in enumerate(BUYERS):
        orgs[f"buyer{index}"] = _organization("buyer", *buyer)
    orgs["oversight"] = _organization("oversight", *OVERSIGHT)
    for index, name in enumerate(SUPPLIERS):
        orgs[f"supplier{index}"] = _organization("supplier", name, f"20{index + 500000001:09d}", "PE")
    out(f"  organizations: {Organization.objects.count()}")

    User = get_user_model()
    for username, org_key, roles in USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.example"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.first_name = username.capitalize()
            user.save()
        for role in roles:
            services.membership_add(actor=seed_actor(), user=user, organization=orgs[org_key], role=role)
    out(f"  users: {len(USERS)} demo logins")
    return orgs


def seed_frameworks(out, orgs: dict[str, Organization]) -> list[FrameworkAgreement]:
    authority = orgs["authority"]
    this_year = timezone.localdate().year  # live from this January to the end of the year after next
    frameworks = []
    for spec in FRAMEWORKS:
        framework = FrameworkAgreement.objects.filter(reference=spec["reference"]).first()
        if framework is None:
            framework = services.framework_create(
                actor=None, authority=authority, reference=spec["reference"], title=spec["title"],
                description=spec["description"], currency=spec["currency"], start_date=date(this_year, 1, 1),
                end_date=date(this_year + 2, 12, 31), max_cap_increase_percent=25,
            )
            framework = services.framework_transition(
                actor=None, framework=framework, target=FrameworkAgreement.Status.OPEN
            )
            for number, title, is_goods, delivery_days, ceilings in spec["lots"]:
                lot = services.lot_create(
                    actor=None, framework=framework, number=number, title=title, is_goods=is_goods,
                    max_delivery_days=delivery_days,
                )
                for unit, price in ceilings:
                    services.ceiling_price_set(actor=None, lot=lot, unit=unit, max_unit_price=Decimal(price))
            suppliers = [org for key, org in orgs.items() if key.startswith("supplier")]
            for lot in framework.lots.all():
                for supplier in suppliers:
                    admission = services.admission_apply(actor=None, supplier=supplier, lot=lot)
                    services.admission_transition(actor=None, admission=admission, target=Admission.Status.ADMITTED)
            framework = services.framework_transition(
                actor=None, framework=framework, target=FrameworkAgreement.Status.LIVE
            )
        frameworks.append(framework)
        out(f"  framework {framework.reference}: {Lot.objects.filter(framework=framework).count()} lots, "
            f"{Admission.objects.filter(lot__framework=framework).count()} admissions, status {framework.status}")
    return frameworks
