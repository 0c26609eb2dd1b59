"""Forms for the supplier pages: shape only; the rules live in the catalog services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import AttributeDefinition, NeedCategory
from catalog.services.listings import ListingData
from common.errors import ValidationFailed
from common.forms import LocalizedDecimalField
from common.money import finite_decimal, price_text

TEXT = {"class": "input"}


class ListingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(attrs=TEXT),
                            help_text=_("What you offer, in a few words a buyer would use."))
    summary = forms.CharField(label=_("Summary"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One or two sentences shown in search results."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    features = forms.CharField(label=_("Features"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("One per line."))
    benefits = forms.CharField(label=_("Benefits"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("One per line: what the buyer gains."))
    categories = forms.MultipleChoiceField(label=_("Needs this meets"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    unit = forms.ChoiceField(label=_("Pricing unit"))
    # Numbers are read in the active language here; their rules (positive, ceiling, whole) stay in the services.
    unit_price = LocalizedDecimalField(label=_("Price per unit"), example="0.25",
                                       help_text=_("Never above the lot's ceiling price for the unit."))
    minimum_commitment = LocalizedDecimalField(label=_("Minimum commitment (units)"), required=False)
    lead_time_days = forms.CharField(label=_("Delivery lead time (days)"), required=False,
                                     widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}))
    stock = LocalizedDecimalField(label=_("Stock"), required=False, example="1500",
                                  widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}),
                                  help_text=_("Goods only. Leave empty if not tracked; 0 stops orders."))
    exit_statement = forms.CharField(label=_("Exit and data-portability statement"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot
        self.fields["unit"].choices = [(c.unit, _("%(unit)s (ceiling %(ceiling)s)") % {
                                            "unit": c.unit, "ceiling": price_text(c.max_unit_price)})
                                       for c in lot.ceiling_prices.order_by("unit")]
        self.fields["categories"].choices = [
            (str(c.pk), ("— " if c.parent_id else "") + c.name)
            for c in NeedCategory.objects.filter(lots=lot).order_by("path")]
        if not lot.is_goods:
            for name in ("lead_time_days", "stock"):
                del self.fields[name]
        self.attribute_keys = []
        for definition in AttributeDefinition.objects.filter(lot=lot).order_by("position", "key"):
            name = f"attr_{definition.key}"
            self.attribute_keys.append(definition.key)
            choices = [(str(c["value"]), c["label"]) for c in definition.choices or []]
            if definition.kind == AttributeDefinition.Kind.BOOLEAN:
                field = forms.ChoiceField(choices=[("", _("Not answered")), ("true", _("Yes")), ("false", _("No"))],
                                          required=False, widget=forms.RadioSelect)
            elif definition.kind == AttributeDefinition.Kind.CHOICE:
                field = forms.ChoiceField(choices=[("", _("Not answered"))] + choices, required=False)
            elif definition.kind == AttributeDefinition.Kind.MULTI_CHOICE:
                field = forms.MultipleChoiceField(choices=choices, required=False, widget=forms.CheckboxSelectMultiple)
            else:
                field = LocalizedDecimalField(required=False)
            field.label = definition.label + (f" ({definition.unit})" if definition.unit else "")
            field.help_text = definition.help_text
            self.fields[name] = field

    def service_data(self) -> ListingData:
        data = self.cleaned_data
        result: ListingData = {
            "title": data["title"], "summary": data["summary"], "description": data.get("description", ""),
            "features": [line for line in data.get("features", "").splitlines() if line.strip()],
            "benefits": [line for line in data.get("benefits", "").splitlines() if line.strip()],
            "categories": [int(c) for c in data.get("categories", [])], "unit": data["unit"],
            "unit_price": data["unit_price"],
            "minimum_commitment": "0" if data.get("minimum_commitment") is None else data["minimum_commitment"],
            "exit_statement": data.get("exit_statement", ""),
            "attributes": {key: data.get(f"attr_{key}") for key in self.attribute_keys
                           if data.get(f"attr_{key}") not in (None, "", [])},
        }
        if self.lot.is_goods:
            result["lead_time_days"] = data.get("lead_time_days") or None
            stock = data.get("stock")
            result["stock"] = None if stock is None else format(stock.normalize(), "f")  # "1.5" → "Give a whole number."
        return result

    @staticmethod
    def initial_from(listing) -> dict:
        initial = {
            "title": listing.title, "summary": listing.summary, "description": listing.description,
            "features": "\n".join(listing.features), "benefits": "\n".join(listing.benefits),
            "categories": [str(pk) for pk in listing.categories.values_list("pk", flat=True)], "unit": listing.unit,
            "unit_price": listing.unit_price.normalize(), "minimum_commitment": listing.minimum_commitment.normalize(),
            "lead_time_days": listing.lead_time_days, "stock": listing.stock, "exit_statement": listing.exit_statement,
        }
        numbers = set(AttributeDefinition.objects.filter(lot=listing.lot_id, kind=AttributeDefinition.Kind.NUMBER)
                      .values_list("key", flat=True))
        for key, value in (listing.attributes or {}).items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif key in numbers and isinstance(value, str):
                value = finite_decimal(value) or value  # "1.5" is shown as the active language writes it
            initial[f"attr_{key}"] = value
        return initial

    @contextmanager
    def service_field_names(self) -> Iterator[None]:
        """A refusal of the service, re-raised with this form's names for its fields: the service names an
        answer ``attributes.<key>``, the form ``attr_<key>``. Use inside ``service_errors_on(form)``."""
        try:
            yield
        except ValidationFailed as error:
            fields = {("attr_" + name.split(".", 1)[1] if name.startswith("attributes.") else name): messages
                      for name, messages in error.fields.items()}
            raise ValidationFailed(error.message, code=error.code, fields=fields, extra=error.extra) from error


class CsvImportForm(forms.Form):
    framework = forms.ChoiceField(label=_("Framework"))
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "Columns: lot, title, summary, unit, unit_price, and optionally description, features, benefits, categories, "
        "minimum_commitment, lead_time_days, stock, exit_statement, attr:<question key>. Separate list items with |."))

    def __init__(self, *args, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].choices = [(str(f.pk), f"{f.reference} {f.title}") for f in frameworks]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The supplier will see this."))
