"""``form|error_summary``: what the one error summary partial (``_error_summary.html``) shows for a form."""

from django import template

from common.form_errors import ErrorSummary

register = template.Library()


@register.filter
def error_summary(form_or_summary) -> ErrorSummary:
    if form_or_summary is None or isinstance(form_or_summary, ErrorSummary):
        return form_or_summary or ErrorSummary()
    return ErrorSummary.from_form(form_or_summary)
