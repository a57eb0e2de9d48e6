"""The Redis client: lazy, shared, with short timeouts so an outage degrades instead of hanging."""

from __future__ import annotations

from functools import cache

import redis

from shared.config import get_settings


@cache
def get_redis() -> redis.Redis:
    settings = get_settings()
    timeout = settings.redis_timeout_s
    return redis.Redis.from_url(
        settings.redis_url or "redis://127.0.0.1:6379/0",
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        socket_keepalive=True,
    )


def reset_redis() -> None:
    if get_redis.cache_info().currsize:
        get_redis().close()
    get_redis.cache_clear()
