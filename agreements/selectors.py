"""Reads about parties and frameworks, always from the point of view of who asks."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet

from agreements.models import Admission, CeilingPrice, FrameworkAgreement, Lot, Membership, Organization


def organization_of(user) -> Organization | None:
    """The single organization a user belongs to, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_organization_cache"):
        membership = Membership.objects.select_related("organization").filter(user=user).order_by("pk").first()
        user._organization_cache = membership.organization if membership else None
    return user._organization_cache


def roles_of(user) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_roles_cache"):
        user._roles_cache = sorted(Membership.objects.filter(user=user).values_list("role", flat=True))
    return user._roles_cache


def kind_of(user) -> str | None:
    organization = organization_of(user)
    return organization.kind if organization else None


def is_oversight(user) -> bool:
    return kind_of(user) == Organization.Kind.OVERSIGHT


def is_authority_administrator(user) -> bool:
    """An administrator of a procurement authority: who may register parties, members and needs."""
    organization = organization_of(user)
    return (organization is not None and organization.kind == Organization.Kind.AUTHORITY
            and Membership.Role.ADMINISTRATOR in roles_of(user))


def frameworks_visible_to(*, user) -> QuerySet[FrameworkAgreement]:
    """Everyone sees frameworks that are past draft; the owning authority also sees its drafts."""
    queryset = FrameworkAgreement.objects.select_related("authority").prefetch_related(
        Prefetch("lots", queryset=Lot.objects.prefetch_related("ceiling_prices").order_by("number"))
    )
    organization = organization_of(user)
    if organization is not None and organization.kind == Organization.Kind.AUTHORITY:
        return queryset.exclude(status=FrameworkAgreement.Status.DRAFT) | queryset.filter(authority=organization)
    if organization is not None and organization.kind == Organization.Kind.OVERSIGHT:
        return queryset
    return queryset.exclude(status=FrameworkAgreement.Status.DRAFT)


def frameworks_due_to_expire(*, today: date) -> QuerySet[FrameworkAgreement]:
    return FrameworkAgreement.objects.filter(status=FrameworkAgreement.Status.LIVE, end_date__lt=today)


def ceiling_price_for(*, lot: Lot, unit: str) -> CeilingPrice | None:
    return CeilingPrice.objects.filter(lot=lot, unit=unit).first()


def admitted_suppliers(*, lot: Lot) -> QuerySet[Organization]:
    return Organization.objects.filter(
        admissions__lot=lot, admissions__status=Admission.Status.ADMITTED
    ).order_by("name")


def admissions_of(*, supplier: Organization) -> QuerySet[Admission]:
    return Admission.objects.filter(supplier=supplier).select_related("lot__framework")


def frameworks_admitting(*, supplier: Organization) -> QuerySet[FrameworkAgreement]:
    """Frameworks with at least one lot where ``supplier`` is admitted (what it may publish or import in)."""
    return (FrameworkAgreement.objects.filter(lots__admissions__supplier=supplier,
                                              lots__admissions__status=Admission.Status.ADMITTED)
            .distinct().order_by("reference"))
