from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agreements.models import Membership
from marketplace.demo.agreements import DEMO_PASSWORD, USERS, seed_frameworks, seed_parties
from marketplace.demo.catalog import seed_catalog
from marketplace.demo.competition import seed_competition
from marketplace.demo.selection import CONTRACTOR, seed_selection


class Command(BaseCommand):
    help = "Load demo parties, users, frameworks and catalog. Idempotent. Refused when DEBUG is off."

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Load even when DEBUG is off (never do this on a real system).")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo refuses to run with DJANGO_DEBUG off: demo users have a public password.")
        out = self.stdout.write
        out("Seeding demo data…")
        with transaction.atomic():
            out("[1/3] parties and users")
            orgs = seed_parties(out)
            out("[2/3] frameworks, lots, ceiling prices and admissions")
            seed_frameworks(out, orgs)
            out("[3/3] catalog: need categories, filter questions, published listings")
            seed_catalog(out, orgs)
            out("[+] buyer selection: a requirement, an ended search and an award for user buyer")
            seed_selection(out)
            out("[+] a request for quotation for user buyer, with sealed quotes from supplier and supplier2")
            seed_competition(out)
        out(self.style.SUCCESS("Demo data ready. Sign in with any of these users, password " + DEMO_PASSWORD + ":"))
        for username, _org_key, roles in USERS:
            out(f"  {username:<10} {', '.join(roles)}")
        contractor = Membership.objects.filter(user__username=CONTRACTOR).select_related("organization").first()
        if contractor is not None:
            out(f"  {CONTRACTOR:<10} publisher at {contractor.organization.name}, the supplier on the demo order "
                "(posts usage once the approver activates it)")
