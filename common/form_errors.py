"""How a page shows what a write service refused: the one way for every app.

A view runs its service inside ``service_errors_on(form)``: a ``ValidationFailed`` lands on the
form's fields (a field the form does not have becomes a form-wide error), a ``Forbidden`` becomes
403 and a ``NotFound`` 404, any other refusal (a conflict, a lifecycle move) a form-wide error.
The template shows ``form|error_summary`` (config/templatetags/forms.py) with the one partial,
``_error_summary.html``: a headline when the refusal is about the whole form, then one line per
field message, "<label>: <message>", linking to the field.

Pages whose inputs are not a Django form (a table of quote lines, say) build an ``ErrorSummary``
from the refusal itself with ``ErrorSummary.from_error`` and name each field's label and anchor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404

from common.errors import DomainError, Forbidden, NotFound, ValidationFailed


def raise_as_http(error: DomainError) -> None:
    """A refusal that means "not yours" (403) or "not there" (404) is raised as such on a page."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, Forbidden):
        raise PermissionDenied(error.message)


@dataclass
class Outcome:
    ok: bool = False
    error: DomainError | None = None


@contextmanager
def service_errors_on(form) -> Iterator[Outcome]:
    """Run a write service for ``form``; ``outcome.ok`` says whether it succeeded."""
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        outcome.error = error
        raise_as_http(error)
        put_on_form(form, error)
    else:
        outcome.ok = True


def put_on_form(form, error: DomainError) -> None:
    """The refusal's messages on ``form``: each under its field, or form-wide when the form has no
    such field or the refusal names none."""
    if isinstance(error, ValidationFailed) and error.fields:
        for name, messages in error.fields.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
        return
    form.add_error(None, error.message)


def anchor_for(key: str) -> str:
    """The id of the element a summary line links to, for a dotted key (``lines.0.unit_price``)."""
    return "field-" + key.replace(".", "-")


@dataclass
class ErrorSummary:
    """What the error summary shows: ``headline`` (about the whole form) and ``entries``, one
    (anchor, label, message) per distinct field message. Each sentence is shown once: a headline
    that a field repeats is left to that field."""

    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    status: int = 200

    @classmethod
    def from_error(cls, error: DomainError | None, *, labels: dict[str, str] | None = None) -> ErrorSummary:
        if error is None:
            return cls(labels=dict(labels or {}))
        fields = dict(error.fields) if isinstance(error, ValidationFailed) else {}
        return cls(message=error.message, fields=fields, labels=dict(labels or {}), status=error.status)

    @classmethod
    def from_form(cls, form) -> ErrorSummary:
        summary = cls(message=" ".join(str(message) for message in form.non_field_errors()))
        for bound in form:
            if bound.errors:
                summary.fields[bound.name] = [str(message) for message in bound.errors]
                summary.anchors[bound.name] = bound.id_for_label or bound.auto_id or anchor_for(bound.name)
                if bound.widget_type != "checkbox":  # a checkbox's label is the whole sentence already
                    summary.labels[bound.name] = str(bound.label)
        if form.errors:
            summary.status = 400
        return summary

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)

    @property
    def headline(self) -> str:
        said = {message for messages in self.fields.values() for message in messages}
        return "" if self.message in said else self.message

    @property
    def entries(self) -> list[tuple[str, str, str]]:
        entries: list[tuple[str, str, str]] = []
        for key, messages in self.fields.items():
            for message in messages:
                entry = (self.anchors.get(key) or anchor_for(key), self.labels.get(key, ""), message)
                if entry not in entries:
                    entries.append(entry)
        return entries

    def get(self, key: str) -> list[str]:
        return self.fields.get(key, [])
