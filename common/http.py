"""Small request helpers shared by the apps' views."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str | None:
    """The posted ``next`` when it points into this site (no other host, no other scheme, https kept
    on a secure request); None otherwise, so that a form cannot be used to redirect anywhere."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None
