"""Red flags: patterns an auditor should look at, computed from the record (never entered by hand).

A flag is derived data: ``marketplace.oversight.services.red_flags_refresh`` recomputes every rule and
upserts one row per finding, keyed by ``key`` (rule + object), so running it twice adds nothing.
A finding that no longer holds (e.g. thresholds changed) is marked cleared, not deleted.
Its explanation is stored as a code and parameters and written in the reader's language when read
(``marketplace.oversight.explanations``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models import Organization
from marketplace.competitions.models import Competition
from marketplace.orders.models import CallOffOrder
from marketplace.oversight.explanations import explanation_text
from marketplace.selection.models import Award


class RedFlag(models.Model):
    class Kind(models.TextChoices):
        NOT_LOWEST = "not_lowest", _("Award not to the lowest estimated total")
        SINGLE_QUOTE = "single_quote", _("Competition with a single quote")
        REPEATED_DIRECT_AWARDS = "repeated_direct_awards", _("Same supplier directly awarded repeatedly")
        SPLIT_PURCHASES = "split_purchases", _("Possible split purchase")
        CAP_RAISED = "cap_raised", _("Cap raised well above the original")
        LATE_USAGE = "late_usage", _("Usage posted close to or after the order end")
        PRICE_RAISED_BEFORE_AWARD = "price_raised_before_award", _("Listing price raised shortly before the award")

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices, db_index=True)
    buyer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="red_flags")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    order = models.ForeignKey(CallOffOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    explanation_code = models.CharField(max_length=40, blank=True, default="")
    explanation_params = models.JSONField(default=dict, blank=True)
    # The explanation as it was stored (translated) before codes: shown only for a row without a code.
    explanation = models.TextField(_("explanation"), blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("first raised"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("last confirmed"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("red flag")
        verbose_name_plural = _("red flags")
        indexes = [models.Index(fields=["kind", "cleared_at"]), models.Index(fields=["buyer", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"

    @property
    def explanation_text(self) -> str:
        """What the rule saw, in the active (the reader's) language."""
        return explanation_text(self.explanation_code, self.explanation_params, fallback=self.explanation)

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None
