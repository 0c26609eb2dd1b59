from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from agreements.selectors import is_oversight
from common.errors import error_body

# --- oversight reads everything and changes nothing ------------------------------------------------

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Views an oversight user may POST to: signing in and out, the language, and oversight's own
# "Check this trail" (which writes nothing). Named by URL name so a new endpoint is refused by default.
OVERSIGHT_WRITE_ALLOWED = frozenset({
    "api-token", "login", "logout", "set_language", "admin:login", "admin:logout",
    "api-oversight-trail-check", "oversight:trail-check",
    # Recomputes derived red flags (the hourly task, run now); changes no procurement record.
    "oversight:flags-check",
})
OVERSIGHT_READ_ONLY_MESSAGE = _("Oversight users can read everything but change nothing.")


class RefuseOversightWrites(BasePermission):
    """Refuse every unsafe method (POST, PUT, PATCH, DELETE) to oversight users (403).

    In ``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``; the middleware below is the backstop for
    views that set their own ``permission_classes`` and for the pages.
    """

    message = OVERSIGHT_READ_ONLY_MESSAGE

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in OVERSIGHT_WRITE_ALLOWED:
            return True
        return not (request.user and request.user.is_authenticated and is_oversight(request.user))


class OversightReadOnlyMiddleware:
    """One rule for every page and endpoint: an oversight user's unsafe request is refused with 403
    before any view runs (JSON error shape under /api/, Django's 403 page elsewhere).

    The user is the session user, or for the API the owner of the ``Authorization: Token`` key
    (looked up here only for unsafe methods, the same way DRF's ``TokenAuthentication`` does), so
    views with their own DRF permissions or none are covered too. Allowed: ``OVERSIGHT_WRITE_ALLOWED``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name in OVERSIGHT_WRITE_ALLOWED:
            return None
        user = _requesting_user(request)
        if user is None or not is_oversight(user):
            return None
        if request.path_info.startswith("/api/"):

            return JsonResponse(error_body(code="permission_denied", message=OVERSIGHT_READ_ONLY_MESSAGE), status=403)
        raise PermissionDenied(OVERSIGHT_READ_ONLY_MESSAGE)


def _requesting_user(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    if request.path_info.startswith("/api/"):
        try:
            found = TokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            return None
        return found[0] if found else None
    return None
