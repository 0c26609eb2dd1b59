"""The shared cache as an optimisation, never a gate (docs/operations.md, "When the cache goes away").

Login-failure counts and API rate limits live in the ``default`` cache, shared by every web process
through Redis. When Redis cannot be reached, ``FallbackRedisCache`` answers from a memory cache of
this process instead of raising, so sign-ins and writes keep working: limits are then counted per
process until Redis answers again. One warning is logged when the outage starts and one when Redis
is back; Redis is tried again every ``RETRY_SECONDS`` meanwhile, so a dead server costs at most one
short connection attempt per interval instead of one per request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("config.cache")

RETRY_SECONDS = 5.0
# Connect and read timeouts (seconds) for each Redis call: a server that does not answer must not hold
# a request for long (redis-py waits forever by default).
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

_WRAPPED = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
            "clear")


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._local = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def is_falling_back(self) -> bool:
        return self._retry_at > 0.0

    def _run(self, name: str, *args, **kwargs):
        if self._retry_at and time.monotonic() < self._retry_at:
            return getattr(self._local, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as error:
            with self._lock:
                if not self._retry_at:
                    logger.warning("Cache unreachable (%s): counting login failures and rate limits in this "
                                   "process until it answers again.", type(error).__name__)
                self._retry_at = time.monotonic() + RETRY_SECONDS
            return getattr(self._local, name)(*args, **kwargs)
        if self._retry_at:
            with self._lock:
                if self._retry_at:
                    logger.warning("Cache reachable again: limits are shared by every process again.")
                self._retry_at = 0.0
        return result


def _delegate(name: str):
    def method(self, *args, **kwargs):
        return self._run(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _WRAPPED:
    setattr(FallbackRedisCache, _name, _delegate(_name))
