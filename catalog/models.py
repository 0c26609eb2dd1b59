"""The e-catalog: the need taxonomy, filter questions per lot, listings and their versions.

A ``Listing`` holds the supplier's working draft. Publishing freezes the draft into an immutable
``ListingVersion``; the listing's ``current_version`` is what buyers see, search, snapshot and
order. ``SearchEntry`` is the search read model: one row per published listing, kept current by
the catalog services (publish, withdraw, suspend, stock changes).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agreements.models import FrameworkAgreement, Lot, Organization
from common.money import PRICE_FIELD, QUANTITY_FIELD


class NeedCategory(models.Model):
    """A need in a buyer's words ("Store and back up data"), in a tree."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("need"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    code = models.CharField(_("classification code"), max_length=20, blank=True, help_text=_("CPV or UNSPSC code."))
    code_scheme = models.CharField(_("classification scheme"), max_length=10, blank=True,
                                   choices=[("CPV", "CPV"), ("UNSPSC", "UNSPSC")])
    lots = models.ManyToManyField(Lot, blank=True, related_name="need_categories")
    position = models.PositiveIntegerField(default=0)
    # Materialized path ("0003/0012/") so "this category and its descendants" is one prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        ordering = ["path"]
        verbose_name = _("need category")
        verbose_name_plural = _("need categories")

    def __str__(self) -> str:
        return self.name


class AttributeDefinition(models.Model):
    """A filter question for a lot: boolean, single choice, multiple choice or number with unit."""

    class Kind(models.TextChoices):
        BOOLEAN = "boolean", _("Yes or no")
        CHOICE = "choice", _("One of a list")
        MULTI_CHOICE = "multi_choice", _("Several of a list")
        NUMBER = "number", _("Number")

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="attribute_definitions")
    key = models.SlugField(_("key"), max_length=60, help_text=_("Used in URLs and the API, e.g. data_location."))
    label = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("hint"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_('List of {"value": ..., "label": ...} for choice questions.'))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["lot", "position", "key"]
        verbose_name = _("attribute definition")
        verbose_name_plural = _("attribute definitions")
        constraints = [models.UniqueConstraint(fields=["lot", "key"], name="attribute_key_unique_per_lot")]

    def __str__(self) -> str:
        return f"{self.lot}: {self.label}"


class Listing(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.PUBLISHED, Status.REJECTED},
        Status.REJECTED: {Status.DRAFT},
        Status.PUBLISHED: {Status.WITHDRAWN, Status.SUSPENDED, Status.SUBMITTED},
        Status.SUSPENDED: {Status.PUBLISHED},
        Status.WITHDRAWN: set(),
    }

    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="listings")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="listings")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="listings")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The working draft (what the next version will contain).
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    features = models.JSONField(_("features"), default=list, blank=True)
    benefits = models.JSONField(_("benefits"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    categories = models.ManyToManyField(NeedCategory, related_name="listings", blank=True)
    unit = models.CharField(_("pricing unit"), max_length=50)
    unit_price = models.DecimalField(_("unit price"), **PRICE_FIELD)
    minimum_commitment = models.DecimalField(_("minimum commitment (units)"), **QUANTITY_FIELD, default=Decimal("0"))
    lead_time_days = models.PositiveIntegerField(_("delivery lead time (days)"), null=True, blank=True)
    exit_statement = models.TextField(_("exit and data-portability statement"), blank=True)
    # Stock is live, not versioned: a supplier sets it to 0 to stop receiving orders (goods lots).
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    has_unpublished_changes = models.BooleanField(default=True)
    current_version = models.ForeignKey(
        "ListingVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gt=Decimal("0")), name="listing_price_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.stock > 0

    @property
    def owner_status(self) -> tuple[str, str]:
        """(status, note) in the words its supplier and the authority need. The lifecycle status of
        a published listing whose edit is under review or was rejected is that of the edit, while
        buyers keep seeing the current version: say both."""
        edit_notes = {
            self.Status.SUBMITTED: _("changes awaiting review"),
            self.Status.REJECTED: _("changes rejected"),
            self.Status.DRAFT: _("unpublished changes"),
        }
        if self.current_version_id is not None and self.status in edit_notes:
            return str(self.Status.PUBLISHED.label), str(edit_notes[self.status])
        if self.status == self.Status.PUBLISHED and self.has_unpublished_changes:
            return str(self.get_status_display()), str(edit_notes[self.Status.DRAFT])
        return str(self.get_status_display()), ""


class ListingVersion(models.Model):
    """An immutable published state of a listing. Orders and snapshots point here."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    features = models.JSONField(default=list)
    benefits = models.JSONField(default=list)
    attributes = models.JSONField(default=dict)
    category_ids = models.JSONField(default=list)
    unit = models.CharField(max_length=50)
    unit_price = models.DecimalField(**PRICE_FIELD)
    ceiling_price = models.DecimalField(**PRICE_FIELD, help_text=_("The lot's ceiling for the unit when published."))
    minimum_commitment = models.DecimalField(**QUANTITY_FIELD, default=Decimal("0"))
    lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    exit_statement = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the version's content."))
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["listing", "-number"]
        verbose_name = _("listing version")
        verbose_name_plural = _("listing versions")
        constraints = [
            models.UniqueConstraint(fields=["listing", "number"], name="listing_version_number_unique"),
            models.CheckConstraint(condition=models.Q(unit_price__lte=models.F("ceiling_price")),
                                   name="listing_version_price_within_ceiling"),
            models.CheckConstraint(condition=models.Q(unit_price__gt=Decimal("0")), name="listing_version_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Listing versions are immutable once published.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Listing versions are never deleted.")


class SearchFacetValue(models.Model):
    """A dictionary of facet values ("lot"/"12", "category"/"5", "data_location"/"peru").

    Search entries store the ids of their facet values in one integer list, so filtering and
    counting every facet is one pass over integers (GIN-indexed ``int[]`` on PostgreSQL).
    """

    facet = models.CharField(max_length=60)
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facet", "value"], name="search_facet_value_unique")]

    def __str__(self) -> str:
        return f"{self.facet}={self.value}"


class SearchTerm(models.Model):
    """The vocabulary of published text, for "did you mean" (trigram index on PostgreSQL)."""

    word = models.CharField(max_length=60, unique=True)

    def __str__(self) -> str:
        return self.word


class SearchEntry(models.Model):
    """The search read model: one row per published listing, rewritten at each publication.

    On PostgreSQL the migration adds two columns computed by the database itself:
    ``search_vector`` (weighted tsvector: title A, summary B, body C, tags D; GIN-indexed) and
    ``facet_array`` (``int[]`` of ``facet_ids``; GIN-indexed). Django never writes them.
    """

    listing = models.OneToOneField(Listing, on_delete=models.CASCADE, related_name="search_entry")
    version = models.ForeignKey(ListingVersion, on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(FrameworkAgreement, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    supplier_name = models.CharField(max_length=255)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    # Description, features and benefits (weight C); supplier and category names (weight D).
    body = models.TextField(blank=True)
    tags = models.TextField(blank=True)
    # Lower-cased words of every field, for the portable backend.
    document = models.TextField(blank=True)
    unit = models.CharField(max_length=50)
    unit_price = models.DecimalField(**PRICE_FIELD)
    in_stock = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict)
    # The listing's categories and all their ancestors: a category filter includes descendants.
    category_ids = models.JSONField(default=list)
    facet_ids = models.JSONField(default=list)
    published_at = models.DateTimeField()
    # Stable tie-break: no supplier is favoured by insertion order.
    tie_hash = models.BigIntegerField()

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        indexes = [
            models.Index(fields=["framework", "lot"], name="search_entry_framework_lot"),
            models.Index(fields=["unit_price"], name="search_entry_price"),
            models.Index(fields=["-published_at"], name="search_entry_newest"),
            models.Index(fields=["tie_hash"], name="search_entry_tie_hash"),
            models.Index(fields=["supplier"], name="search_entry_supplier"),
        ]

    def __str__(self) -> str:
        return self.title
