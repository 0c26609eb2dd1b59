"""Who may change an order, the order's row lock and its audit events: shared by every orders service."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from agreements.models import Membership, Organization
from agreements.selectors import organization_of, roles_of
from audit.services import audit_record
from common.errors import Forbidden, NotFound
from marketplace.orders.models import CallOffOrder


def require_buyer_approver(*, actor: User, order: CallOffOrder) -> None:
    """Only an approver of the buying organization. Others who can see the order get 403."""
    organization = organization_of(actor)
    if organization is None or organization.pk != order.buyer_id:
        if organization is not None and (
            organization.pk == order.supplier_id or organization.kind == Organization.Kind.OVERSIGHT
        ):
            raise Forbidden(_("Only the buying organization's approver can do this."))
        raise NotFound(_("Order not found."))
    if Membership.Role.APPROVER not in roles_of(actor):
        raise Forbidden(_("Only a member with the approver role can do this."), code="approver_required")


def require_supplier(*, actor: User | None, order: CallOffOrder) -> None:
    """Only the order's supplier posts usage; the buyer and oversight see the order, so they get 403."""
    organization = organization_of(actor)
    if organization is not None and organization.pk == order.supplier_id:
        return
    if organization is not None and (
        organization.pk == order.buyer_id or organization.kind == Organization.Kind.OVERSIGHT
    ):
        raise Forbidden(_("Only the order's supplier posts usage."))
    raise NotFound(_("Order not found."))


def lock_order(order_id: int) -> CallOffOrder:
    order = CallOffOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("Order not found."))
    return order


def audit_order(*, action: str, actor: User | None, order: CallOffOrder, payload: dict) -> None:
    audit_record(
        action=action, actor=actor, organization=organization_of(actor) if actor is not None else None,
        target=order, payload={"reference": order.reference, **payload},
    )
