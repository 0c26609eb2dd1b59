from rest_framework.permissions import BasePermission

from agreements.selectors import is_oversight


class IsOversight(BasePermission):
    message = "Only oversight users (auditors) can read this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and is_oversight(request.user))
