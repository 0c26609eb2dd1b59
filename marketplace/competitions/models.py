"""Further competition (request for quotation) among the suppliers admitted to a lot.

Lifecycle: ``draft → published → closed (at the deadline) → awarded | no_award``, and
``draft | published | closed → cancelled``. Quotes are sealed until the competition is closed
(``closed_at`` set, which only happens at or after the deadline): see
``marketplace.competitions.selectors.quotes_visible_to``.

Quote history is kept: replacing a quote marks the earlier row ``is_current=False`` and adds a
new one, so what was replaced stays on record. Only the current quote of each supplier is
evaluated, and its ``submitted_at`` (the time of the last replacement) is what breaks ties.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import FrameworkAgreement, Lot, Organization
from catalog.models import ListingVersion
from common.money import AMOUNT_FIELD, PRICE_FIELD, QUANTITY_FIELD
from marketplace.selection.models import Award, Requirement

SCORE_FIELD = {"max_digits": 7, "decimal_places": 2}


class Competition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Open for quotes")
        CLOSED = "closed", _("Closed (quotes opened)")
        AWARDED = "awarded", _("Awarded")
        NO_AWARD = "no_award", _("Closed without award")
        CANCELLED = "cancelled", _("Cancelled")

    class Method(models.TextChoices):
        LOWEST_PRICE = "lowest_price", _("Lowest price")
        WEIGHTED = "weighted", _("Price and quality, weighted")

    TRANSITIONS = {
        Status.DRAFT: {Status.PUBLISHED, Status.CANCELLED},
        Status.PUBLISHED: {Status.CLOSED, Status.CANCELLED},
        Status.CLOSED: {Status.AWARDED, Status.NO_AWARD, Status.CANCELLED},
        Status.AWARDED: set(),
        Status.NO_AWARD: set(),
        Status.CANCELLED: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="competitions")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="competitions")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="competitions")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is being asked"), blank=True)
    method = models.CharField(_("evaluation method"), max_length=20, choices=Method.choices,
                              default=Method.LOWEST_PRICE)
    price_weight = models.PositiveSmallIntegerField(_("price weight (%)"), default=100)
    deadline = models.DateTimeField(_("deadline for quotes"))
    clarifications_allowed = models.BooleanField(_("clarification questions allowed"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    ranking_rule = models.TextField(_("ranking rule used"), blank=True)
    outcome_reason = models.TextField(_("reason for no award or cancellation"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    award = models.OneToOneField(Award, on_delete=models.PROTECT, null=True, blank=True, related_name="competition")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        constraints = [
            models.CheckConstraint(condition=models.Q(price_weight__lte=100), name="competition_price_weight_max_100"),
            models.CheckConstraint(
                condition=~models.Q(method="lowest_price") | models.Q(price_weight=100),
                name="competition_lowest_price_is_all_price",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        """Published with its deadline passed: closed for quotes, though not yet closed in the database.

        The beat sweep (``close_overdue_competitions``) writes the close; until it runs, every read
        shows the competition as closed from its deadline on, without writing anything."""
        return self.status == self.Status.PUBLISHED and timezone.now() >= self.deadline

    @property
    def effective_status(self) -> str:
        """The status a reader sees: ``closed`` from the deadline on, even before the sweep wrote it."""
        return self.Status.CLOSED if self.is_overdue else self.status

    def get_effective_status_display(self) -> str:
        return str(self.Status(self.effective_status).label)

    @property
    def quotes_opened(self) -> bool:
        return self.closed_at is not None or self.is_overdue


class CompetitionLine(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    unit = models.CharField(_("unit"), max_length=50)
    quantity = models.DecimalField(_("quantity"), **QUANTITY_FIELD)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["competition", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "unit"], name="competition_line_unit_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=Decimal("0")), name="competition_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit}"


class QualityCriterion(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("criterion"), max_length=200)
    description = models.CharField(_("what a good answer shows"), max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight (%)"))

    class Meta:
        ordering = ["competition", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1, weight__lte=100), name="criterion_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight}%)"


class Invitation(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        QUOTED = "quoted", _("Quoted")
        DECLINED = "declined", _("Declined")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="invitations")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="competition_invitations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(auto_now_add=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        ordering = ["competition", "supplier__name"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "supplier"], name="invitation_once_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.competition}"


class ClarificationQuestion(models.Model):
    """A question from an invitee. The answer is shown to every invitee; the asker never is."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="questions")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("question"))
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["competition", "asked_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Quote(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="quotes")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="quotes")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    delivery_terms = models.TextField(_("delivery terms"))
    total = models.DecimalField(_("total price"), **AMOUNT_FIELD)

    class Meta:
        ordering = ["competition", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "supplier"], condition=models.Q(is_current=True),
                                    name="one_current_quote_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} · {self.total}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(CompetitionLine, on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(_("unit price"), **PRICE_FIELD)
    amount = models.DecimalField(**AMOUNT_FIELD)
    ceiling_price = models.DecimalField(**PRICE_FIELD, help_text=_("The lot's ceiling for the unit when quoted."))
    listing_version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", help_text=_("The supplier's listing whose price bounds this line."))

    class Meta:
        ordering = ["quote", "line__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "line"], name="quote_line_once"),
            models.CheckConstraint(condition=models.Q(unit_price__gt=Decimal("0")), name="quote_price_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__lte=models.F("ceiling_price")),
                                   name="quote_price_within_ceiling"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_price} × {self.line}"


class QuoteResponse(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="responses")
    criterion = models.ForeignKey(QualityCriterion, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("response"))

    class Meta:
        ordering = ["quote", "criterion__position", "pk"]
        constraints = [models.UniqueConstraint(fields=["quote", "criterion"], name="quote_response_once")]

    def __str__(self) -> str:
        return self.text[:60]


class QuoteEvaluation(models.Model):
    """The buyer's evaluation of one current quote: rejected with a reason, or scored and ranked."""

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="evaluation")
    rejected = models.BooleanField(default=False)
    rejection_reason = models.TextField(blank=True)
    price_score = models.DecimalField(**SCORE_FIELD, null=True, blank=True)
    quality_score = models.DecimalField(**SCORE_FIELD, null=True, blank=True)
    total_score = models.DecimalField(**SCORE_FIELD, null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["quote__competition", "rank", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rejected=False) | ~models.Q(rejection_reason=""),
                                   name="rejection_has_reason"),
            models.CheckConstraint(condition=models.Q(rejected=False) | models.Q(rank__isnull=True),
                                   name="rejected_quote_not_ranked"),
        ]

    def __str__(self) -> str:
        return f"{self.quote}: {'rejected' if self.rejected else f'rank {self.rank}'}"


class CriterionScore(models.Model):
    """A score from 0 to 100 for one criterion; points = score × weight / 100."""

    evaluation = models.ForeignKey(QuoteEvaluation, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(QualityCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(**SCORE_FIELD)
    points = models.DecimalField(**SCORE_FIELD)
    justification = models.TextField()

    class Meta:
        ordering = ["evaluation", "criterion__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="criterion_scored_once"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="criterion_score_range"),
            models.CheckConstraint(condition=~models.Q(justification=""), name="criterion_score_justified"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"
