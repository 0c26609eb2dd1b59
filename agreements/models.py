"""Parties, framework agreements, lots, ceiling prices and supplier admissions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.business_days import is_supported_country
from common.money import PRICE_FIELD


class Organization(models.Model):
    class Kind(models.TextChoices):
        AUTHORITY = "authority", _("Procurement authority")
        BUYER = "buyer", _("Buyer entity")
        SUPPLIER = "supplier", _("Supplier")
        OVERSIGHT = "oversight", _("Oversight body")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=255)
    legal_identifier = models.CharField(
        _("legal identifier"), max_length=64, help_text=_("Tax or company registration number, e.g. RUC or NIT.")
    )
    identifier_scheme = models.CharField(
        _("identifier scheme"), max_length=32, default="XX-LOCAL",
        help_text=_("org-id.guide scheme, e.g. PE-RUC, CO-NIT, GB-COH."),
    )
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code."))
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.UniqueConstraint(fields=["identifier_scheme", "legal_identifier"], name="organization_identifier_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one organization. A user belongs to a single organization."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("Administrator")
        REQUESTER = "requester", _("Requester")
        APPROVER = "approver", _("Approver")
        PUBLISHER = "publisher", _("Catalog publisher")
        AUDITOR = "auditor", _("Auditor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.role}"


# The most a framework may let a call-off cap rise above its original (services and a constraint).
MAX_CAP_INCREASE_PERCENT = 1000


def validate_holiday_country(value: str) -> None:
    if not is_supported_country(value):
        raise ValidationError(_("No public holiday calendar is known for this country."), code="invalid_country")


class FrameworkAgreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open to suppliers")
        LIVE = "live", _("Live")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    TRANSITIONS = {
        Status.DRAFT: {Status.OPEN},
        Status.OPEN: {Status.LIVE, Status.TERMINATED},
        Status.LIVE: {Status.EXPIRED, Status.TERMINATED},
        Status.EXPIRED: set(),
        Status.TERMINATED: set(),
    }

    reference = models.CharField(_("reference"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    authority = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="frameworks")
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. PEN, COP, GBP."))
    # Whose public holidays do not count as business days (quotation windows): common/business_days.py.
    country = models.CharField(_("country"), max_length=2, default="PE", validators=[validate_holiday_country],
                               help_text=_("ISO 3166-1 alpha-2 code."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    # Call-off rules.
    direct_award_allowed = models.BooleanField(_("direct award allowed"), default=True)
    max_frozen_results = models.PositiveIntegerField(
        _("most results a frozen search may have"), default=30, validators=[MinValueValidator(1)]
    )
    min_quotation_business_days = models.PositiveIntegerField(_("minimum quotation window (business days)"), default=2)
    max_call_off_months = models.PositiveIntegerField(
        _("longest call-off term (months)"), default=24, validators=[MinValueValidator(1)]
    )
    max_cap_increase_percent = models.PositiveSmallIntegerField(
        _("most a call-off cap may be raised (% of the original cap)"), null=True, blank=True,
        help_text=_("Amendments may raise an order's cap to at most its original cap plus this share "
                    "(e.g. 25). Empty: no limit."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reference"]
        verbose_name = _("framework agreement")
        verbose_name_plural = _("framework agreements")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gt=models.F("start_date")), name="framework_dates_ordered"),
            models.CheckConstraint(condition=models.Q(max_frozen_results__gte=1), name="framework_frozen_limit_positive"),
            models.CheckConstraint(condition=models.Q(max_cap_increase_percent__lte=MAX_CAP_INCREASE_PERCENT),
                                   name="framework_cap_increase_within_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Lot(models.Model):
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    is_goods = models.BooleanField(
        _("goods lot"), default=False, help_text=_("Goods lots track stock and delivery lead times.")
    )
    max_delivery_days = models.PositiveIntegerField(_("longest delivery time (days)"), null=True, blank=True)

    class Meta:
        ordering = ["framework", "number"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [models.UniqueConstraint(fields=["framework", "number"], name="lot_number_unique")]

    def __str__(self) -> str:
        return f"Lot {self.number}: {self.title}"


class CeilingPrice(models.Model):
    """The highest unit price any listing in the lot may charge for ``unit``."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="ceiling_prices")
    unit = models.CharField(_("unit"), max_length=50, help_text=_("e.g. vCPU-hour, GB-month, user-month, unit."))
    max_unit_price = models.DecimalField(_("maximum unit price"), **PRICE_FIELD)

    class Meta:
        ordering = ["lot", "unit"]
        verbose_name = _("ceiling price")
        verbose_name_plural = _("ceiling prices")
        constraints = [
            models.UniqueConstraint(fields=["lot", "unit"], name="ceiling_unit_unique"),
            models.CheckConstraint(condition=models.Q(max_unit_price__gt=Decimal("0")), name="ceiling_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.lot}: {self.unit} ≤ {self.max_unit_price}"


class Admission(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ADMITTED = "admitted", _("Admitted")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")
        EXCLUDED = "excluded", _("Excluded")

    TRANSITIONS = {
        Status.APPLIED: {Status.ADMITTED, Status.REJECTED},
        Status.ADMITTED: {Status.SUSPENDED, Status.EXCLUDED},
        Status.SUSPENDED: {Status.ADMITTED},
        Status.REJECTED: set(),
        Status.EXCLUDED: set(),
    }

    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="admissions")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="admissions")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.APPLIED)
    reason = models.TextField(_("reason for the last decision"), blank=True)
    applied_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lot", "supplier__name"]
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        constraints = [models.UniqueConstraint(fields=["supplier", "lot"], name="admission_unique_per_lot")]

    def __str__(self) -> str:
        return f"{self.supplier} in {self.lot} ({self.status})"
