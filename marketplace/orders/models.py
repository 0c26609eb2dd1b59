"""Call-off orders priced by consumption: lines, usage records, cap amendments, statements.

The money rules live in the database as well as in the services: ``spent`` never exceeds
``cap`` (CheckConstraint), a usage key is recorded once per order (UniqueConstraint), and a
threshold of the cap is crossed once per order (UniqueConstraint on ``ThresholdCrossing``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agreements.models import FrameworkAgreement, Organization
from catalog.models import ListingVersion
from common.money import AMOUNT_FIELD, PRICE_FIELD, QUANTITY_FIELD
from marketplace.selection.models import Award

# Percentages of the cap at which buyer and supplier are told, once each.
THRESHOLDS = (50, 80, 90, 100)


class CallOffOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CAPPED = "capped", _("Capped (spend reached the cap)")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    TRANSITIONS = {
        Status.DRAFT: {Status.ACTIVE, Status.TERMINATED},
        Status.ACTIVE: {Status.CAPPED, Status.COMPLETED, Status.TERMINATED},
        # capped -> active only through a cap amendment (marketplace.orders.services.order_amend_cap).
        Status.CAPPED: {Status.ACTIVE, Status.COMPLETED, Status.TERMINATED},
        Status.COMPLETED: set(),
        Status.TERMINATED: set(),
    }

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    award = models.OneToOneField(Award, on_delete=models.PROTECT, null=True, blank=True, related_name="order")
    buyer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders_placed")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders_received")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    cap = models.DecimalField(_("cap"), **AMOUNT_FIELD)
    original_cap = models.DecimalField(_("original cap"), **AMOUNT_FIELD)
    spent = models.DecimalField(_("spent"), **AMOUNT_FIELD, default=Decimal("0.00"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("call-off order")
        verbose_name_plural = _("call-off orders")
        constraints = [
            models.CheckConstraint(condition=models.Q(cap__gt=Decimal("0")), name="order_cap_positive"),
            models.CheckConstraint(condition=models.Q(spent__gte=Decimal("0")), name="order_spent_not_negative"),
            models.CheckConstraint(condition=models.Q(spent__lte=models.F("cap")), name="order_spent_within_cap"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="order_dates_ordered"),
        ]
        indexes = [models.Index(fields=["buyer", "status"]), models.Index(fields=["supplier", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def remaining(self) -> Decimal:
        return self.cap - self.spent

    @property
    def is_open_for_usage(self) -> bool:
        return self.status == self.Status.ACTIVE


class OrderLine(models.Model):
    order = models.ForeignKey(CallOffOrder, on_delete=models.CASCADE, related_name="lines")
    listing_version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50)
    unit_price = models.DecimalField(_("agreed unit price"), **PRICE_FIELD)
    cap = models.DecimalField(_("line cap"), **AMOUNT_FIELD, null=True, blank=True)
    spent = models.DecimalField(_("line spent"), **AMOUNT_FIELD, default=Decimal("0.00"))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gt=Decimal("0")), name="order_line_price_positive"),
            models.CheckConstraint(condition=models.Q(spent__gte=Decimal("0")), name="order_line_spent_not_negative"),
            models.CheckConstraint(
                condition=models.Q(cap__isnull=True) | models.Q(spent__lte=models.F("cap")),
                name="order_line_spent_within_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(cap__isnull=True) | models.Q(cap__gt=Decimal("0")), name="order_line_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.unit})"

    @property
    def remaining(self) -> Decimal | None:
        return None if self.cap is None else self.cap - self.spent


class UsageRecord(models.Model):
    """One posted usage, accepted or rejected. Stored once per (order, idempotency key)."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", pgettext_lazy("usage record", "Accepted")
        REJECTED = "rejected", pgettext_lazy("usage record", "Rejected")

    class Reason(models.TextChoices):
        CAP_EXCEEDED = "cap_exceeded", _("The order's cap would be exceeded")
        LINE_CAP_EXCEEDED = "line_cap_exceeded", _("The line's cap would be exceeded")
        ORDER_NOT_ACTIVE = "order_not_active", _("The order is not active")
        OUTSIDE_ORDER_DATES = "outside_order_dates", _("The time of use is outside the order's dates")
        INVALID_QUANTITY = "invalid_quantity", _("The quantity must be a positive number")

    order = models.ForeignKey(CallOffOrder, on_delete=models.CASCADE, related_name="usage_records")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="usage_records")
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    occurred_at = models.DateTimeField(_("time of use"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=40, choices=Reason.choices, blank=True)
    amount = models.DecimalField(_("amount"), **AMOUNT_FIELD)
    remaining_after = models.DecimalField(_("remaining after"), **AMOUNT_FIELD)
    source = models.CharField(max_length=20, default="api", help_text=_("api, csv, web or bench."))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        constraints = [
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="usage_key_unique_per_order"),
            models.CheckConstraint(
                condition=models.Q(status="rejected") | models.Q(reason=""), name="usage_accepted_has_no_reason"
            ),
        ]
        indexes = [models.Index(fields=["order", "status", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.idempotency_key}: {self.status}"


class CapAmendment(models.Model):
    order = models.ForeignKey(CallOffOrder, on_delete=models.CASCADE, related_name="cap_amendments")
    previous_cap = models.DecimalField(**AMOUNT_FIELD)
    new_cap = models.DecimalField(**AMOUNT_FIELD)
    spent_at_amendment = models.DecimalField(**AMOUNT_FIELD)
    justification = models.TextField(_("justification"))
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("cap amendment")
        verbose_name_plural = _("cap amendments")
        constraints = [
            models.CheckConstraint(condition=~models.Q(justification=""), name="cap_amendment_has_justification"),
            models.CheckConstraint(condition=models.Q(new_cap__gte=models.F("spent_at_amendment")),
                                   name="cap_amendment_not_below_spent"),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.previous_cap} → {self.new_cap}"


class Statement(models.Model):
    """Accepted usage of one order in one calendar month, per line; regenerated idempotently."""

    order = models.ForeignKey(CallOffOrder, on_delete=models.CASCADE, related_name="statements")
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    lines = models.JSONField(default=list)
    total = models.DecimalField(_("total"), **AMOUNT_FIELD)
    records = models.PositiveIntegerField(default=0)
    generated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "-month"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [models.UniqueConstraint(fields=["order", "month"], name="statement_once_per_month")]

    def __str__(self) -> str:
        return f"{self.order} {self.month:%Y-%m}"

    @property
    def month_end(self) -> datetime:
        """The first instant after the month, in the site's time zone (as usage is counted)."""
        following = (self.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return timezone.make_aware(datetime.combine(following, time.min))

    @property
    def is_final(self) -> bool:
        """Produced after the month ended. One produced during the month is provisional: usage
        posted later is not in it until the statement is produced again."""
        return self.generated_at is not None and self.generated_at >= self.month_end


class ThresholdCrossing(models.Model):
    """The first time an order's spend reached a percentage of its cap: at most one row each."""

    order = models.ForeignKey(CallOffOrder, on_delete=models.CASCADE, related_name="threshold_crossings")
    threshold = models.PositiveSmallIntegerField()
    spent_at_crossing = models.DecimalField(**AMOUNT_FIELD)
    cap_at_crossing = models.DecimalField(**AMOUNT_FIELD)
    crossed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "threshold"]
        constraints = [models.UniqueConstraint(fields=["order", "threshold"], name="threshold_once_per_order")]

    def __str__(self) -> str:
        return f"{self.order} {self.threshold}%"
