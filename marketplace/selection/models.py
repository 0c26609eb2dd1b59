"""The buyer's side of selection: requirement, saved search, frozen snapshot and award."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models import FrameworkAgreement, Lot, Organization
from catalog.models import ListingVersion, NeedCategory
from common.money import AMOUNT_FIELD, PRICE_FIELD, QUANTITY_FIELD


class Requirement(models.Model):
    """What a buyer needs, described before searching (essential and desired requirements, budget)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWARDED = "awarded", _("Awarded")
        NO_AWARD = "no_award", _("Closed without award")

    TRANSITIONS = {
        Status.OPEN: {Status.AWARDED, Status.NO_AWARD},
        Status.AWARDED: set(),
        Status.NO_AWARD: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="requirements")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    category = models.ForeignKey(NeedCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description of the need"), blank=True)
    budget = models.DecimalField(_("budget"), **AMOUNT_FIELD, null=True, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return self.title


class RequirementCriterion(models.Model):
    """An essential or desired requirement: tied to a catalog attribute, or free text."""

    class Importance(models.TextChoices):
        ESSENTIAL = "essential", _("Essential")
        DESIRED = "desired", _("Desired")

    class Operator(models.TextChoices):
        EQUALS = "equals", _("is")
        INCLUDES = "includes", _("includes")
        AT_LEAST = "min", _("at least")
        AT_MOST = "max", _("at most")
        FREE_TEXT = "text", _("free text (judged by the buyer)")

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="criteria")
    importance = models.CharField(max_length=10, choices=Importance.choices)
    attribute_key = models.SlugField(max_length=60, blank=True)
    operator = models.CharField(max_length=10, choices=Operator.choices, default=Operator.FREE_TEXT)
    expected = models.JSONField(null=True, blank=True)
    text = models.CharField(_("requirement in words"), max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requirement", "importance", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class RequirementEstimate(models.Model):
    """Estimated consumption per pricing unit, used for estimated totals in the comparison."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="estimates")
    unit = models.CharField(max_length=50)
    quantity = models.DecimalField(**QUANTITY_FIELD)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["requirement", "unit"], name="estimate_unit_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit}"


class SavedSearch(models.Model):
    """A saved catalog query. Freezing stores the result set and is final."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FROZEN = "frozen", _("Ended (frozen)")

    TRANSITIONS = {Status.OPEN: {Status.FROZEN}, Status.FROZEN: set()}

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="searches")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="saved_searches")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    query = models.JSONField(_("query"), default=dict)
    summary = models.TextField(_("search in words"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    is_active = models.BooleanField(default=True, help_text=_("Only one search per requirement is active."))
    result_count = models.PositiveIntegerField(null=True, blank=True)
    entries_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["requirement"], condition=models.Q(is_active=True),
                                    name="one_active_search_per_requirement"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def query_json(self) -> str:
        """The stored query as JSON with sorted keys, as an auditor would compare it with the audit payload."""
        return json.dumps(self.query, sort_keys=True, ensure_ascii=False)


class SearchSnapshotEntry(models.Model):
    """One result of a frozen search: the listing version seen, its rank and price."""

    search = models.ForeignKey(SavedSearch, on_delete=models.PROTECT, related_name="entries")
    rank = models.PositiveIntegerField()
    listing_version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=50)
    unit_price = models.DecimalField(**PRICE_FIELD)

    class Meta:
        ordering = ["search", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["search", "rank"], name="snapshot_rank_unique"),
            models.UniqueConstraint(fields=["search", "listing_version"], name="snapshot_version_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.listing_version}"


class Award(models.Model):
    """A selection (or a recorded decision not to award), with its justification."""

    class Method(models.TextChoices):
        DIRECT = "direct", _("Direct award from a frozen search")
        COMPETITION = "competition", _("Further competition (request for quotation)")

    class Outcome(models.TextChoices):
        AWARDED = "awarded", _("Awarded")
        NO_AWARD = "no_award", _("No award")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="awards")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="awards")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=20, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    search = models.ForeignKey(SavedSearch, on_delete=models.PROTECT, null=True, blank=True, related_name="awards")
    snapshot_entry = models.ForeignKey(SearchSnapshotEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    listing_version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="awards_won")
    justification = models.TextField(_("justification"))
    cheaper_option_reason = models.TextField(_("why a cheaper option was not chosen"), blank=True)
    estimated_total = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    lowest_estimated_total = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    price_difference = models.DecimalField(**AMOUNT_FIELD, null=True, blank=True)
    entries_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="no_award") | models.Q(supplier__isnull=False, listing_version__isnull=False)
                | models.Q(method="competition", supplier__isnull=False),
                name="award_names_what_was_chosen",
            ),
            models.CheckConstraint(condition=~models.Q(justification=""), name="award_has_justification"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} – {self.requirement}"
