"""Audit events of a trail in the reader's words: the action and the codes in its payload.

Payloads hold codes and values (``"status_before": "active"``, ``"method": "weighted"``), never
translated text, so the trail writes them here, when it is read, in the reader's language: the
action's name and each status or method code by its model's label. The payload itself is shown
(and hashed) as it was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from marketplace.competitions.models import Competition
from marketplace.orders.models import CallOffOrder
from marketplace.selection.models import Award, Requirement, SavedSearch

ACTIONS = {
    "requirement.created": gettext_lazy("Requirement written"),
    "requirement.updated": gettext_lazy("Requirement changed"),
    "requirement.criterion_added": gettext_lazy("Criterion added"),
    "requirement.criterion_removed": gettext_lazy("Criterion removed"),
    "requirement.estimate_set": gettext_lazy("Estimate set"),
    "requirement.estimate_removed": gettext_lazy("Estimate removed"),
    "search.saved": gettext_lazy("Search saved"),
    "search.updated": gettext_lazy("Search changed"),
    "search.frozen": gettext_lazy("Search ended and its results frozen"),
    "search.exported": gettext_lazy("Frozen results exported"),
    "competition.created": gettext_lazy("Competition drafted"),
    "competition.published": gettext_lazy("Competition published to the invited suppliers"),
    "competition.question_asked": gettext_lazy("Clarification question asked"),
    "competition.question_answered": gettext_lazy("Clarification answered"),
    "competition.quote_submitted": gettext_lazy("Quote submitted"),
    "competition.declined": gettext_lazy("Invitation declined"),
    "competition.closed": gettext_lazy("Competition closed and quotes opened"),
    "competition.evaluated": gettext_lazy("Quotes evaluated"),
    "competition.awarded": gettext_lazy("Competition awarded"),
    "competition.no_award": gettext_lazy("Competition closed without award"),
    "competition.cancelled": gettext_lazy("Competition cancelled"),
    "award.made": gettext_lazy("Award made"),
    "award.no_award": gettext_lazy("No award recorded"),
    "order.created": gettext_lazy("Call-off order drafted"),
    "order.activated": gettext_lazy("Order activated"),
    "order.cap_amended": gettext_lazy("Cap amended"),
    "order.capped": gettext_lazy("Spend reached the cap"),
    "order.completed": gettext_lazy("Order completed"),
    "order.terminated": gettext_lazy("Order terminated"),
}



def target_type(model: type[models.Model]) -> str:
    """How audit events name a model's rows: ``app_label.model``."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


# Each target's status codes and method codes, by the event's target type.
STATUSES: dict[str, type[models.TextChoices]] = {
    target_type(Requirement): Requirement.Status,
    target_type(SavedSearch): SavedSearch.Status,
    target_type(Competition): Competition.Status,
    target_type(CallOffOrder): CallOffOrder.Status,
}
METHODS: dict[str, type[models.TextChoices]] = {
    target_type(Competition): Competition.Method,
    target_type(Award): Award.Method,
    target_type(CallOffOrder): Award.Method,  # order.created records how the order's award was made
}
STATUS_KEYS = (("status_before", "status_after"), ("from", "to"))


def _label(choices: type[models.TextChoices] | None, code: Any) -> str:
    """The label of ``code`` in ``choices``; an unknown code is shown as it was recorded."""
    if choices is None or not isinstance(code, str):
        return "" if code is None else str(code)
    return str(dict(choices.choices).get(code, code))


def _status_change(target_type: str, payload: Mapping[str, Any]) -> str:
    statuses = STATUSES.get(target_type)
    for before_key, after_key in STATUS_KEYS:
        before, after = payload.get(before_key), payload.get(after_key)
        if before and after and before != after:
            return _("status: %(before)s → %(after)s") % {"before": _label(statuses, before),
                                                          "after": _label(statuses, after)}
        if before or after:
            return _("status: %(status)s") % {"status": _label(statuses, after or before)}
    return ""


def payload_in_words(target_type: str, payload: Mapping[str, Any]) -> list[str]:
    """The codes of ``payload`` a person reads: a status change, a method (with the price weight)."""
    parts = []
    change = _status_change(target_type, payload)
    if change:
        parts.append(change)
    method = payload.get("method")
    if method:
        parts.append(_("method: %(method)s") % {"method": _label(METHODS.get(target_type), method)})
        weight = payload.get("price_weight")
        if method == Competition.Method.WEIGHTED and weight is not None:
            parts.append(_("price weight: %(weight)s%%") % {"weight": weight})
    return parts


def describe_event(event: AuditEvent) -> str:
    """The event in the reader's language, e.g. "Order terminated (status: Active → Terminated)"."""
    action = ACTIONS.get(event.action)
    title = str(action) if action is not None else event.action
    parts = payload_in_words(event.target_type, event.payload if isinstance(event.payload, dict) else {})
    return f"{title} ({'; '.join(parts)})" if parts else title
