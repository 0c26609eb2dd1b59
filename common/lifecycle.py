"""The one check for lifecycle moves. Each model keeps its own ``TRANSITIONS`` table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _

from common.errors import InvalidTransition


def check_transition(instance: models.Model, target: str, *, field: str = "status") -> str:
    """Raise ``InvalidTransition`` unless ``instance.<field> -> target`` is in the model's table."""
    current = getattr(instance, field)
    allowed = type(instance).TRANSITIONS.get(current, set())
    if target not in allowed:
        label = type(instance)._meta.verbose_name
        names = dict(type(instance)._meta.get_field(field).flatchoices)  # the words a reader knows
        raise InvalidTransition(
            _("A %(model)s cannot move from “%(current)s” to “%(target)s”.")
            % {"model": label, "current": names.get(current, current), "target": names.get(target, target)},
            extra={"current": current, "target": target, "allowed": sorted(str(a) for a in allowed)},
        )
    return current
