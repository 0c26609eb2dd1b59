"""Who may read what, decided by the parties' roles: shared by the apps' API views and the audit trail."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from agreements.selectors import is_oversight


class IsOversight(BasePermission):
    message = _("Only oversight users (auditors) can read this.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and is_oversight(request.user))
