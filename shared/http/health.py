"""`GET /health`: is the database reachable (required) and the cache (optional)?"""

from __future__ import annotations

from typing import Any

import redis

from shared.cache import get_redis
from shared.db.session import transaction
from shared.domain.errors import ServiceUnavailable


def health_report() -> dict[str, Any]:
    database = _check_database()
    cache = _check_cache()
    return {"status": "UP" if database == "up" else "DOWN", "database": database, "cache": cache}


def _check_database() -> str:
    try:
        with transaction() as session:
            session.fetch_value("SELECT 1")
    except ServiceUnavailable:
        return "down"
    return "up"


def _check_cache() -> str:
    try:
        get_redis().ping()
    except (redis.RedisError, OSError):
        return "down"  # the platform keeps serving without its cache
    return "up"
