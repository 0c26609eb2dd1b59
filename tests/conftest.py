
import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from agreements.models import Membership, Organization
from tests.factories import AdmissionFactory, CeilingPriceFactory, FrameworkFactory, LotFactory, member

POSTGRES_ONLY_REASON = "needs PostgreSQL (row locks, triggers, full-text search): set DATABASE_URL; CI does"

# A PostgreSQL-only test carries the `postgres` marker, so `pytest -m postgres` selects exactly those; off
# PostgreSQL the hook below skips them with POSTGRES_ONLY_REASON (tests/test_suite_markers.py proves both).
requires_postgres = pytest.mark.postgres


def postgres_skip_reason(vendor: str) -> str | None:
    """Why a `postgres` test cannot run on the configured database (None: it runs)."""
    return None if vendor == "postgresql" else POSTGRES_ONLY_REASON


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Skip `postgres` tests off PostgreSQL. First, before `-m` deselects: every item gets its skip."""
    reason = postgres_skip_reason(connection.vendor)
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request with Accept-Language: es activates
    Spanish in the thread (LocaleMiddleware) and the test client leaves it active afterwards."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def signed_in_browser(user, language: str | None = None) -> Client:
    """A web client signed in as ``user``; with ``language``, chosen in the site's switcher (the
    cookie every later request sends)."""
    client = Client()
    client.force_login(user)
    if language:
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


@pytest.fixture
def framework(db):
    return FrameworkFactory()


@pytest.fixture
def lot(framework):
    return LotFactory(framework=framework, number=1, title="Cloud hosting")


@pytest.fixture
def ceiling(lot):
    return CeilingPriceFactory(lot=lot, unit="vCPU-hour")


@pytest.fixture
def authority_user(framework):
    return member(Organization.Kind.AUTHORITY, Membership.Role.ADMINISTRATOR, organization=framework.authority)


@pytest.fixture
def buyer_user(db):
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER)


@pytest.fixture
def approver_user(buyer_user):
    organization = buyer_user.memberships.first().organization
    return member(Organization.Kind.BUYER, Membership.Role.APPROVER, organization=organization)


@pytest.fixture
def other_buyer_user(db):
    return member(Organization.Kind.BUYER, Membership.Role.REQUESTER, Membership.Role.APPROVER)


@pytest.fixture
def supplier_user(lot):
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    AdmissionFactory(supplier=user.memberships.first().organization, lot=lot)
    return user


@pytest.fixture
def other_supplier_user(lot):
    user = member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER)
    AdmissionFactory(supplier=user.memberships.first().organization, lot=lot)
    return user


@pytest.fixture
def auditor_user(db):
    return member(Organization.Kind.OVERSIGHT, Membership.Role.AUDITOR)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, let Django empty the audit table between transactional tests.

    The audit trigger refuses TRUNCATE unless ``audit.allow_truncate`` is on (see
    audit/migrations/0002_immutable_trigger.py); this turns it on for the throw-away test
    database only, for the current connection and for every new one (threads).
    """
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(f"ALTER DATABASE {name} SET audit.allow_truncate = 'on'")
                cursor.execute("SET audit.allow_truncate = 'on'")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Login-failure counts and API rate limits live in the cache (marketplace/security.py,
    marketplace/api/throttling.py): every test starts with none, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def clock(time_machine):
    """Time under the test's control (time-machine): it starts at the real now, stands still, and
    moves only when told (``clock.shift(timedelta(days=3))``, ``clock.move_to(datetime)``). The helpers
    of tests/clock.py follow it."""
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    return time_machine
