"""Every write service that takes an acting user refuses those without the right role.

The services are enumerated from the code (every public function of a services module of
agreements, catalog and the buying side with a keyword-only ``actor``, but the ``access`` helpers
that the services call to check that actor), and the calls of
``test_readonly_oversight.service_calls`` must cover exactly them: a new service without a
call fails here. Oversight users are refused there; here, users of no party to the object
(a supplier with no admission, a user with no organization) are refused too, and nothing changes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from agreements.models import Membership, Organization
from common.errors import Forbidden, NotFound
from tests.factories import UserFactory, member
from tests.marketplace.test_readonly_oversight import domain_state, service_calls, world  # noqa: F401

pytestmark = pytest.mark.django_db

SERVICE_PACKAGES = ("agreements", "catalog", "marketplace")


def _service_modules():
    for package_name in SERVICE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            parts = info.name.split(".")
            # ``services/access.py`` holds each room's helpers that check the actor and lock the row:
            # the services call them; they are not entry points of their own.
            if "services" in parts and parts[-1] != "access":
                yield importlib.import_module(info.name)


def _short_name(module_name: str, function: str) -> str:
    parts = module_name.split(".")
    return f"{parts[1] if parts[0] == 'marketplace' else parts[0]}.{function}"


def services_taking_an_actor() -> set[str]:
    found = set()
    for module in _service_modules():
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            parameter = inspect.signature(function).parameters.get("actor")
            if parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                found.add(_short_name(module.__name__, name))
    return found


def test_the_enumeration_finds_the_services_of_every_room():
    found = services_taking_an_actor()
    rooms = {name.split(".")[0] for name in found}
    assert rooms >= {"agreements", "catalog", "selection", "competitions", "orders"}
    assert {"orders.order_activate", "selection.award_direct", "competitions.quote_submit",
            "agreements.organization_create", "catalog.category_create"} <= found


def test_every_service_in_the_code_has_a_call_in_the_refusal_tests(world):  # noqa: F811
    assert set(service_calls(world)) == services_taking_an_actor()


@pytest.mark.parametrize("who", ["supplier without admissions", "user of no organization"])
def test_every_service_refuses_users_of_no_party(world, who):  # noqa: F811
    actor = (member(Organization.Kind.SUPPLIER, Membership.Role.PUBLISHER) if who.startswith("supplier")
             else UserFactory())
    before = domain_state()
    outcomes = {}
    for name, call in service_calls(world, actor=actor).items():
        try:
            call()
        except (Forbidden, NotFound):
            continue
        except Exception as error:  # noqa: BLE001 - any other outcome is reported with its name
            outcomes[name] = f"{type(error).__name__}: {error}"
        else:
            outcomes[name] = "accepted"

    assert outcomes == {}, "\n".join(f"{name}: {outcome}" for name, outcome in sorted(outcomes.items()))
    assert domain_state() == before
