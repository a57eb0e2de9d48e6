"""One WSGI app in front of every HTTP function, routed by the registry's path prefixes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import functions_framework

from functions.registry import FunctionSpec, http_functions

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def prefix_matches(prefix: str, path: str) -> bool:
    """Whether `path` lies under `prefix`, where a `*` segment of the prefix matches any one segment."""
    wanted, given = prefix.strip("/").split("/"), path.strip("/").split("/")
    return len(given) >= len(wanted) and all(w in ("*", g) for w, g in zip(wanted, given, strict=False))


def specificity(prefix: str) -> tuple[int, int]:
    """Longer prefixes win; among equals, the one with fewer wildcards (as a load balancer's path rules)."""
    segments = prefix.strip("/").split("/")
    return len(segments), -segments.count("*")


class PathRouter:
    """Send each request to the function whose registered prefix matches its path most specifically."""

    def __init__(self, apps: dict[str, WsgiApp], health: WsgiApp) -> None:
        self._prefixes = sorted(apps.items(), key=lambda item: specificity(item[0]), reverse=True)
        self._health = health

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/health":
            return self._health(environ, start_response)
        for prefix, app in self._prefixes:
            if prefix_matches(prefix, path):
                return app(environ, start_response)
        body = json.dumps({"error": {"code": "not_found", "message": "No function serves this path."}}).encode()
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def function_app(spec: FunctionSpec) -> WsgiApp:
    """The real functions-framework app of one registered function, as `functions-framework` builds it."""
    app: WsgiApp = functions_framework.create_app(target=spec.entry_point, source="main.py", signature_type="http")
    return app


def build_router(specs: list[FunctionSpec] | None = None) -> PathRouter:
    specs = http_functions() if specs is None else specs
    apps = {spec.entry_point: function_app(spec) for spec in specs}
    by_prefix = {prefix: apps[spec.entry_point] for spec in specs for prefix in spec.paths}
    return PathRouter(by_prefix, health=apps[specs[0].entry_point])
