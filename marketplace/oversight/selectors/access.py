"""Who may read the oversight selectors: oversight users (auditors) only."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from agreements.selectors import is_oversight
from common.errors import Forbidden


def require_oversight(user: User) -> None:
    if not is_oversight(user):
        raise Forbidden(_("Only oversight users (auditors) can read this."))
