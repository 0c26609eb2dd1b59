"""The cache is an optimisation, never a gate: with Redis unreachable, sign-in, its lockout and the
API's write limits keep working from a memory cache of the process (config/cache.py)."""

import logging
import socket

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from config import cache as fallback
from tests.factories import UserFactory

# Nothing listens on port 1 of the loopback: every connection is refused at once.
UNREACHABLE = {"default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                           "KEY_PREFIX": "test-fallback"}}
REAL_REDIS = {"default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": "redis://127.0.0.1:6379/14",
                          "KEY_PREFIX": "test-fallback"}}


def redis_is_listening() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture
def unreachable_cache():
    with override_settings(CACHES=UNREACHABLE):
        yield caches["default"]


@pytest.mark.django_db
def test_sign_in_works_and_the_lockout_still_holds_while_redis_is_down(unreachable_cache, caplog):
    UserFactory(username="ana")
    client = Client()
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert client.post("/accounts/login/", {"username": "ana", "password": "secret-pass-123"}).status_code == 302
        for _attempt in range(5):
            client.post("/accounts/login/", {"username": "ana", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
        locked = client.post("/accounts/login/", {"username": "ana", "password": "secret-pass-123"},
                             REMOTE_ADDR="10.0.0.9")

    assert isinstance(unreachable_cache, fallback.FallbackRedisCache) and unreachable_cache.is_falling_back
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # One line for the whole outage, not one per request.
    assert [record.getMessage() for record in caplog.records].count(
        "Cache unreachable (ConnectionError): counting login failures and rate limits in this process until it "
        "answers again.") == 1


@pytest.mark.django_db
def test_api_writes_work_and_are_still_limited_while_redis_is_down(unreachable_cache, settings):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "write": "2/min"}}
    user = UserFactory(username="bea")
    client = APIClient()
    client.force_authenticate(user)

    statuses = [client.post("/api/v1/searches/", {"name": "x", "query": {}}, format="json").status_code
                for _attempt in range(3)]

    # A user of no organization is refused (403) twice, then the third write is over the limit.
    assert statuses == [403, 403, 429]


def test_redis_is_tried_again_after_the_interval(unreachable_cache, monkeypatch):
    now = {"t": 1000.0}
    monkeypatch.setattr(fallback.time, "monotonic", lambda: now["t"])
    unreachable_cache.set("k", "v")
    assert unreachable_cache.is_falling_back and unreachable_cache.get("k") == "v"
    attempts = []
    original = fallback.RedisCache.get
    monkeypatch.setattr(fallback.RedisCache, "get", lambda self, *a, **k: attempts.append(1) or original(self, *a, **k))

    unreachable_cache.get("k")
    now["t"] += fallback.RETRY_SECONDS + 1
    unreachable_cache.get("k")

    assert attempts == [1]  # none within the interval, one after it


@pytest.mark.skipif(not redis_is_listening(), reason="needs Redis on 127.0.0.1:6379 (CI starts it)")
def test_with_redis_up_the_values_are_shared_through_redis():
    with override_settings(CACHES=REAL_REDIS):
        shared = caches["default"]
        shared.set("shared-key", 41)
        assert shared.incr("shared-key") == 42
        assert not shared.is_falling_back
        # Another process's view of the same Redis database sees the value.
        other = fallback.FallbackRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": "test-fallback"})
        assert other.get("shared-key") == 42
        shared.delete("shared-key")
