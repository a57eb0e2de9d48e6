"""CORS from an allow-list of exact origins: never `*`, and credentials only for listed origins."""

from __future__ import annotations

import flask

from shared.config import get_settings

ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id, Idempotency-Key, X-On-Behalf-Of"
EXPOSED_HEADERS = ("X-Request-Id, X-Total-Count, X-Page, X-Page-Size, X-Total-Pages, RateLimit-Limit, "
                   "RateLimit-Remaining, RateLimit-Reset, Retry-After")
MAX_AGE_S = "600"


def allowed_origin(request: flask.Request) -> str | None:
    origin = request.headers.get("Origin", "").rstrip("/")
    return origin if origin and origin in get_settings().cors_origins else None


def is_preflight(request: flask.Request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def preflight_response(request: flask.Request, allowed_methods: list[str]) -> flask.Response:
    """204 with the allowed methods for a listed origin; a bare 204 (no CORS headers) for any other."""
    response = flask.Response(status=204)
    origin = allowed_origin(request)
    if origin:
        response.headers.update({
            "Access-Control-Allow-Methods": ", ".join(allowed_methods),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": MAX_AGE_S,
        })
    return response


def add_cors_headers(request: flask.Request, response: flask.Response) -> None:
    origin = allowed_origin(request)
    response.headers.add("Vary", "Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
