"""common.form_errors: a service's refusal on a page, one way everywhere."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.loader import render_to_string

from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.form_errors import ErrorSummary, service_errors_on


class CapForm(forms.Form):
    cap = forms.CharField(label="New cap")
    agree = forms.BooleanField(label="I have checked the figures", required=False)


def test_field_errors_land_on_their_fields_and_unknown_fields_on_the_form():
    form = CapForm(data={"cap": "x"})
    form.is_valid()
    with service_errors_on(form) as outcome:
        raise ValidationFailed("Not valid.", fields={"cap": ["Enter a number."], "line": ["Choose a line."]})
    assert not outcome.ok
    assert form.errors == {"cap": ["Enter a number."], "__all__": ["Choose a line."]}


def test_a_conflict_is_a_form_wide_error():
    form = CapForm(data={"cap": "10"})
    form.is_valid()
    with service_errors_on(form) as outcome:
        raise Conflict("The order is closed.")
    assert (outcome.ok, form.non_field_errors()) == (False, ["The order is closed."])


@pytest.mark.parametrize(("error", "page"), [(Forbidden("Only the approver."), PermissionDenied),
                                             (NotFound("No such order."), Http404)])
def test_forbidden_and_not_found_become_403_and_404(error, page):
    form = CapForm(data={})
    with pytest.raises(page), service_errors_on(form):
        raise error
    assert not form.errors or "__all__" not in form.errors


def test_success_is_reported():
    form = CapForm(data={"cap": "1"})
    with service_errors_on(form) as outcome:
        pass
    assert outcome.ok and outcome.error is None


def test_the_summary_links_each_message_to_its_field_and_shows_a_sentence_once():
    form = CapForm(data={"cap": "x"})
    form.is_valid()
    form.add_error("cap", "Enter a number.")
    form.add_error("agree", "Tick the box.")
    form.add_error(None, "Enter a number.")
    summary = ErrorSummary.from_form(form)
    assert summary.headline == ""  # the field says it already
    assert summary.entries == [("id_cap", "New cap", "Enter a number."), ("id_agree", "", "Tick the box.")]
    html = render_to_string("_error_summary.html", {"errors": summary})
    assert '<li>New cap: <a href="#id_cap">Enter a number.</a></li>' in html
    assert '<li><a href="#id_agree">Tick the box.</a></li>' in html
    assert html.count("Enter a number.") == 1


def test_a_summary_from_a_refusal_names_dotted_fields_by_their_labels():
    error = ValidationFailed("The quote is not valid.", fields={"lines.0.unit_price": ["Enter 0.25 or less."]})
    summary = ErrorSummary.from_error(error, labels={"lines.0.unit_price": "Unit price, line 1"})
    assert summary.status == 400 and summary.headline == "The quote is not valid."
    assert summary.entries == [("field-lines-0-unit_price", "Unit price, line 1", "Enter 0.25 or less.")]


def test_no_errors_show_nothing():
    assert render_to_string("_error_summary.html", {"errors": ErrorSummary()}).strip() == ""
    assert not ErrorSummary.from_error(None)
