"""Forms of the buyer's selection pages. They check the shape of the answers and give them to the
services as typed inputs read by ``marketplace.selection.inputs``; services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import FrameworkAgreement, Lot
from catalog.models import NeedCategory
from common.forms import LocalizedDecimalField, read_typed_decimal
from marketplace.selection.inputs import (
    CriterionInput,
    DirectAwardInput,
    EstimateInput,
    RequirementInput,
    read_criterion,
    read_direct_award,
    read_estimate,
    read_requirement,
)
from marketplace.selection.models import RequirementCriterion

TEXT = {"class": "input"}
AREA = {"rows": 5}


class RequirementForm(forms.Form):
    title = forms.CharField(label=_("Title of the requirement"), max_length=200,
                            help_text=_("For example: Hosting for the patient records system."),
                            widget=forms.TextInput(attrs=TEXT))
    framework = forms.ModelChoiceField(
        label=_("Framework agreement"), queryset=FrameworkAgreement.objects.none(), required=False,
        help_text=_("The framework you will buy under."), widget=forms.Select(attrs={"class": "input"}),
    )
    lot = forms.ModelChoiceField(
        label=_("Lot"), queryset=Lot.objects.none(), required=False,
        help_text=_("The lot lets you tie requirements to the lot's filter questions."),
        widget=forms.Select(attrs={"class": "input"}),
    )
    category = forms.ModelChoiceField(label=_("Need"), queryset=NeedCategory.objects.all(), required=False,
                                      help_text=_("What the purchase must achieve."),
                                      widget=forms.Select(attrs={"class": "input"}))
    description = forms.CharField(label=_("Describe the need"), required=False, widget=forms.Textarea(attrs=AREA),
                                  help_text=_("What must be achieved, not a particular product."))
    budget = LocalizedDecimalField(label=_("Budget"), required=False, max_digits=14, decimal_places=2, min_value=0,
                                   example="15000.00", help_text=_("In the framework's currency, for example 15000.00."))
    period_start = forms.DateField(label=_("Period starts"), required=False, help_text=_("For example 2026-04-01."),
                                   widget=forms.DateInput(attrs={"class": "input", "type": "date"}))
    period_end = forms.DateField(label=_("Period ends"), required=False, help_text=_("For example 2027-03-31."),
                                 widget=forms.DateInput(attrs={"class": "input", "type": "date"}))

    def __init__(self, *args, frameworks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if frameworks is not None:
            self.fields["framework"].queryset = frameworks
            self.fields["lot"].queryset = Lot.objects.filter(framework__in=frameworks).select_related("framework")
        self.fields["lot"].label_from_instance = lambda lot: f"{lot.framework.reference} · {lot}"

    def details(self) -> RequirementInput:
        """The cleaned details as the requirement services take them (refusals raised as ValidationFailed)."""
        data = self.cleaned_data
        return read_requirement({
            **data, "framework": data["framework"].pk if data["framework"] else None,
            "lot": data["lot"].pk if data["lot"] else None,
            "category": data["category"].pk if data["category"] else None,
        })


class CriterionForm(forms.Form):
    text = forms.CharField(label=_("The requirement in words"), max_length=300,
                           help_text=_("For example: Data must be stored in Peru."),
                           widget=forms.TextInput(attrs=TEXT))
    attribute_key = forms.ChoiceField(label=_("Catalog question it checks"), required=False,
                                      help_text=_("Leave empty for a requirement you will judge yourself."),
                                      widget=forms.Select(attrs={"class": "input"}))
    operator = forms.ChoiceField(label=_("How it is met"), choices=RequirementCriterion.Operator.choices,
                                 initial=RequirementCriterion.Operator.FREE_TEXT, widget=forms.RadioSelect)
    expected = forms.CharField(label=_("Expected value"), required=False, max_length=200,
                               help_text=_("A value, a number for at least / at most, or several values separated by commas for includes."),
                               widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args, attribute_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute_key"].choices = [("", _("None: judged by the buyer"))] + list(attribute_choices)

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("expected") or "").strip()
        if raw and cleaned.get("operator") in (RequirementCriterion.Operator.AT_LEAST, RequirementCriterion.Operator.AT_MOST):
            try:
                cleaned["expected_number"] = read_typed_decimal(raw, example="99.5")
            except forms.ValidationError as error:
                self.add_error("expected", error)
        return cleaned

    def expected_value(self):
        if "expected_number" in self.cleaned_data:
            return self.cleaned_data["expected_number"]
        raw = (self.cleaned_data.get("expected") or "").strip()
        if self.cleaned_data.get("operator") == RequirementCriterion.Operator.INCLUDES and "," in raw:
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw or None

    def criterion(self, importance: str) -> CriterionInput:
        return read_criterion({**self.cleaned_data, "importance": importance, "expected": self.expected_value()})


class EstimateForm(forms.Form):
    unit = forms.CharField(label=_("Pricing unit"), max_length=50, help_text=_("For example vCPU-hour or GB-month."),
                           widget=forms.TextInput(attrs={**TEXT, "list": "known-units"}))
    quantity = LocalizedDecimalField(label=_("Estimated quantity over the period"), max_digits=18, decimal_places=6,
                                     min_value=0, example="8760", help_text=_("For example 8760."))

    def estimate(self) -> EstimateInput:
        return read_estimate(self.cleaned_data)


class SaveSearchForm(forms.Form):
    NEW = "new"

    name = forms.CharField(label=_("Name of the search"), max_length=200, widget=forms.TextInput(attrs=TEXT),
                           help_text=_("So that you and auditors can recognise it."))
    requirement = forms.ChoiceField(label=_("Save it into"), widget=forms.RadioSelect,
                                    help_text=_("A new requirement takes the search's name; you can describe it afterwards."))
    query_string = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, requirements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = [(self.NEW, _("A new requirement"))] + [
            (str(item.pk), item.title) for item in requirements
        ]
        self.fields["requirement"].initial = self.NEW


class FreezeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that the search and its results cannot change after it ends."),
        error_messages={"required": _("Confirm that you understand the search cannot change afterwards.")},
    )


class AwardForm(forms.Form):
    listing_version = forms.TypedChoiceField(label=_("Chosen service"), coerce=int, widget=forms.RadioSelect,
                                             error_messages={"required": _("Choose one of the results.")})
    justification = forms.CharField(label=_("Why this option meets the need best"), widget=forms.Textarea(attrs=AREA),
                                    error_messages={"required": _("Explain why this option was chosen.")})
    cheaper_option_reason = forms.CharField(
        label=_("Why a cheaper option was not chosen"), required=False, widget=forms.Textarea(attrs=AREA),
        help_text=_("Needed when the chosen option is not the lowest estimated total among those meeting every essential requirement."),
    )
    cap = LocalizedDecimalField(label=_("Order cap"), max_digits=14, decimal_places=2, min_value=0, example="5000.00",
                                help_text=_("The most the order may ever spend, for example 5000.00."))
    start = forms.DateField(label=_("Order starts"), help_text=_("For example 2026-04-01."),
                            widget=forms.DateInput(attrs={"class": "input", "type": "date"}))
    end = forms.DateField(label=_("Order ends"), help_text=_("For example 2027-03-31."),
                          widget=forms.DateInput(attrs={"class": "input", "type": "date"}))

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listing_version"].choices = list(versions)

    def award(self) -> DirectAwardInput:
        return read_direct_award(self.cleaned_data)


class NoAwardForm(forms.Form):
    reason = forms.CharField(label=_("Why there is no award"), widget=forms.Textarea(attrs=AREA),
                             help_text=_("For example: the work was cancelled, or nothing found was suitable."),
                             error_messages={"required": _("Give the reason for not awarding.")})
