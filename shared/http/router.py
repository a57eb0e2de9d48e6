"""Routing inside one function: match, authenticate, authorize, parse, call, render, log."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flask
from pydantic import BaseModel
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from shared.auth.authenticate import identify, load_principal
from shared.auth.on_behalf import HEADER as ON_BEHALF
from shared.auth.on_behalf import act_on_behalf
from shared.auth.policy import authorize
from shared.config import get_settings
from shared.domain.errors import DomainError
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.http.cors import add_cors_headers, is_preflight, preflight_response
from shared.http.errors import HttpError, error_body
from shared.http.health import health_report
from shared.http.logs import configure_logging, trace_fields
from shared.http.ratelimit import get_rate_limiter, keys_for, raise_if_denied
from shared.http.request import page_request, parse_body, parse_query

log = logging.getLogger("http")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Reply:
    """A handler result with a status or headers other than the route's defaults."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """Everything a handler needs about the request it serves."""

    request: flask.Request
    params: dict[str, Any]
    actor: Actor
    body: Any = None
    query: Any = None
    page: PageRequest = field(default_factory=PageRequest)


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    action: str | None
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    paged: bool = False
    tag: str = ""
    rate_limited: bool = True
    errors: tuple[int, ...] = ()  # error statuses the handler itself answers (a webhook's own credential check)


class Router:
    def __init__(self, name: str, *, tag: str) -> None:
        self.name = name
        self.tag = tag
        self.routes: list[Route] = []
        self._map = Map(strict_slashes=False, merge_slashes=False)
        self.route("GET", "/health", action=None, summary="Database and cache reachability",
                   rate_limited=False)(_health)

    def route(self, method: str, path: str, *, action: str | None, summary: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: Any = None, status: int = 200, paged: bool = False,
              rate_limited: bool = True, errors: tuple[int, ...] = ()) -> Callable[[Handler], Handler]:
        """Register a handler; `action` names its policy entry, `None` makes it public."""
        def register(handler: Handler) -> Handler:
            route = Route(method, path, handler, action, summary, body, query, response, status, paged, self.tag,
                          rate_limited, errors)
            self.routes.append(route)
            self._map.add(Rule(path, methods=[method], endpoint=route))
            return handler
        return register

    def dispatch(self, request: flask.Request) -> flask.Response:
        configure_logging()
        started = time.perf_counter()
        request_id = _request_id(request)
        response = self._preflight(request) if is_preflight(request) else self._respond(request, request_id)
        add_cors_headers(request, response)
        response.headers["X-Request-Id"] = request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        _log_request(request, response, started)
        return response

    def _respond(self, request: flask.Request, request_id: str) -> flask.Response:
        try:
            route, params = self._match(request)
            actor = _actor(request, route, request_id)
            limit_headers = _rate_limit(route, actor)
            call = Call(request, params, actor)
            if route.query is not None:
                call.query = parse_query(request, route.query)
            if route.paged:
                call.page = page_request(request)
            if route.body is not None:
                call.body = parse_body(request, route.body)
            response = _render(route.handler(call), route.status)
            response.headers.update(limit_headers)
            return response
        except DomainError as exc:
            return _error_response(exc)
        except Exception:
            log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            return _json(error_body("internal", "Something went wrong on our side."), 500)

    def _preflight(self, request: flask.Request) -> flask.Response:
        methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
                   if self._map.bind("localhost").test(request.path, method=m)]
        return preflight_response(request, methods) if methods else _error_response(
            HttpError(404, "not_found", "No such route."))

    def _match(self, request: flask.Request) -> tuple[Route, dict[str, Any]]:
        adapter = self._map.bind("localhost")
        if "\x00" in request.path:  # no resource is named with a NUL, and PostgreSQL could not compare one
            raise HttpError(404, "not_found", "No such route.")
        try:
            route, params = adapter.match(request.path, method=request.method)
        except MethodNotAllowed as exc:
            # werkzeug says 405 when another method's rule matches the path's shape, even if its converter then
            # refuses the value (an id out of range): only methods whose rule really matches the path are allowed.
            methods = sorted(m for m in exc.valid_methods or [] if adapter.test(request.path, method=m))
            if not methods:
                raise HttpError(404, "not_found", "No such route.") from exc
            allowed = ", ".join(methods)
            raise HttpError(405, "method_not_allowed", f"Use one of: {allowed}.", headers={"Allow": allowed}) from exc
        except NotFound as exc:
            raise HttpError(404, "not_found", "No such route.") from exc
        return route, dict(params)


def _actor(request: flask.Request, route: Route, request_id: str) -> Actor:
    """Authenticate and authorize the caller of a protected route; public routes have no principal."""
    ip = client_ip(request)
    if route.action is None:
        return Actor(None, None, request_id, ip)
    identity = identify(request)
    principal = load_principal(identity)
    on_behalf = request.headers.get(ON_BEHALF)
    if on_behalf is not None:  # an agency manager acting for an advertiser: checked against its delegation
        export = request.args.get("format") == "csv"
        principal = act_on_behalf(principal, on_behalf, route.action, export=export)
    authorize(principal, route.action)
    return Actor(principal, identity, request_id, ip)


def _rate_limit(route: Route, actor: Actor) -> dict[str, str]:
    """429 past the caller's budget (per user and organization, or per IP when anonymous)."""
    if not route.rate_limited:
        return {}
    principal = actor.principal.real if actor.principal else None  # an agency spends its own budget
    decision = get_rate_limiter().hit(keys_for(principal, actor.client_ip or "unknown"))
    raise_if_denied(decision)
    return decision.headers()


def client_ip(request: flask.Request) -> str | None:
    """The caller's address: `remote_addr`, or behind N trusted proxies the N-th X-Forwarded-For hop from the right."""
    hops = get_settings().trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.remote_addr


def _render(result: Any, default_status: int) -> flask.Response:
    if isinstance(result, flask.Response):  # pages and files render themselves
        return result
    reply = result if isinstance(result, Reply) else Reply(result)
    status = reply.status or default_status
    if reply.body is None:
        response = flask.Response(status=204 if status == 200 else status)
    else:
        response = _json(_plain(reply.body), status)
    response.headers.update(reply.headers)
    return response


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _json(body: Any, status: int) -> flask.Response:
    return flask.Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")


def _error_response(exc: DomainError) -> flask.Response:
    response = _json(error_body(exc.code, exc.message, exc.details), exc.status)
    if isinstance(exc, HttpError):
        response.headers.update(exc.headers)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = _challenge(exc.code)
    return response


def _challenge(reason: str) -> str:
    """RFC 6750: no error attribute when no token was sent; the reason code in the description."""
    if reason in {"missing_token", "missing_webhook_secret"}:
        return f'Bearer realm="api", error_description="{reason}"'
    return f'Bearer realm="api", error="invalid_token", error_description="{reason}"'


def _request_id(request: flask.Request) -> str:
    incoming = request.headers.get("X-Request-Id", "")
    return incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _log_request(request: flask.Request, response: flask.Response, started: float) -> None:
    latency = time.perf_counter() - started
    fields: dict[str, Any] = {
        "httpRequest": {
            "requestMethod": request.method,
            "requestUrl": request.url,
            "status": response.status_code,
            "responseSize": str(response.calculate_content_length() or 0),
            "userAgent": request.user_agent.string,
            "remoteIp": client_ip(request),
            "latency": f"{latency:.6f}s",
        },
        "request_id": response.headers["X-Request-Id"],
        **trace_fields(request.headers, get_settings().gcp_project),
    }
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields})


def page_headers(result: PageResult[Any]) -> dict[str, str]:
    """Paging facts for list routes whose body stays a bare array, as in the original API.

    A total past the count's cap is a lower bound, told by a "+" ("10000+").
    """
    more = "+" if result.total_is_lower_bound else ""
    return {
        "X-Total-Count": f"{result.total}{more}",
        "X-Page": str(result.page.page),
        "X-Page-Size": str(result.page.page_size),
        "X-Total-Pages": f"{result.total_pages}{more}",
    }


def _health(call: Call) -> Reply:
    report = health_report()
    return Reply(report, status=200 if report["status"] == "UP" else 503)
