"""Rate limits over HTTP: RateLimit-* headers, 429 with Retry-After, and service without Redis."""

from __future__ import annotations

import uuid

import pytest

from shared.domain.roles import Role


@pytest.fixture
def limits(monkeypatch, redis_url):
    """Set the limits for this test, starting from empty budgets."""
    import redis

    from shared.config import get_settings
    from shared.http.ratelimit import get_rate_limiter

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("rl:*"):
        client.delete(key)

    def set_limits(**per_minute: int) -> None:
        for scope, value in per_minute.items():
            monkeypatch.setenv(f"RATE_LIMIT_{scope.upper()}_PER_MINUTE", str(value))
        get_settings.cache_clear()
        get_rate_limiter.cache_clear()

    return set_limits


def sign_up(api) -> object:
    return api.post("/api/v1/public/organizations", json={"name": f"Org {uuid.uuid4().hex[:6]}", "type": "agency"})


def test_public_routes_are_limited_per_ip_with_retry_after(api, limits) -> None:
    limits(ip=3)
    statuses = [sign_up(api).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = sign_up(api)
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.json()["error"]["code"] == "rate_limited"


def test_signed_in_callers_spend_their_own_budget(api, limits, make_user, make_org) -> None:
    limits(user=2)
    org = make_org("advertiser")
    first, second = make_user(Role.USER, org), make_user(Role.USER, org)
    ok = api.get("/api/v1/organizations", headers=first.headers)
    assert ok.headers["RateLimit-Limit"] == "2"
    assert api.get("/api/v1/organizations", headers=first.headers).status_code == 200
    assert api.get("/api/v1/organizations", headers=first.headers).status_code == 429
    assert api.get("/api/v1/organizations", headers=second.headers).status_code == 200


def test_health_is_never_rate_limited(api, limits) -> None:
    limits(ip=1)
    assert [api.get("/health").status_code for _ in range(3)] == [200, 200, 200]


def test_without_redis_the_platform_keeps_serving_and_limiting(api, limits, monkeypatch, make_user, make_org) -> None:
    from shared.cache import reset_redis

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_redis()
    limits(user=2)
    user = make_user(Role.USER, make_org())
    statuses = [api.get("/api/v1/organizations", headers=user.headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/health").json()["cache"] == "down"
