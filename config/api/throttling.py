"""API rate limits on writes, per token (docs/security.md).

``WriteRateThrottle`` is in ``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``, so every API view has it
without naming it. It counts only unsafe methods (POST, PUT, PATCH, DELETE), per signed-in user (one
user, one token) or per client address when anonymous (the token endpoint), in the ``default`` cache.
Reads are never limited by it. The rate comes from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``:

- ``write`` for every write (default ``600/min``, env ``MARKETPLACE_API_WRITE_RATE``);
- ``usage`` for posting usage records, which meters send often (default ``6000/min``, env
  ``MARKETPLACE_API_USAGE_RATE``): the views named in ``USAGE_URL_NAMES``, the one place that decides.

Over the limit the API answers 429 ``{"error": {"code": "rate_limited", ...}}`` with ``Retry-After``
(see marketplace/api/errors.py).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

# URL names (marketplace/api/orders_urls.py) whose writes count against the "usage" rate.
USAGE_URL_NAMES = frozenset({"api-order-usage"})


def scope_for(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in USAGE_URL_NAMES:
        return "usage"
    return "write"


class WriteRateThrottle(SimpleRateThrottle):
    scope = "write"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self):
        # The rate is chosen per request (write or usage) in allow_request, not at construction.
        pass

    def get_rate(self):
        # Read the settings now, not at import, so that override_settings and env changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        self.scope = scope_for(request)
        self.rate = self.get_rate()
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
