"""The sandbox's WSGI application: routing, the API key, the rate-limit window, injected faults, Everflow's errors.

Every `/v1` call is counted (per endpoint and per status) and answered with `X-RateLimit-Limit` and
`X-RateLimit-Remaining`. Then, in order: the enforced rate-limit window (429), the API key (401),
the 10-concurrent-reporting-calls cap (429), injected faults (delay, 429, 5xx, hang), the handler.
`/__sandbox/...` is the admin API (no key, not counted, never faulted).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared.adapters.everflow.sandbox_admin import admin, json_body, json_response
from shared.adapters.everflow.sandbox_faults import Faults, Plan, WindowStatus
from shared.adapters.everflow.sandbox_fields import Json, SandboxError
from shared.adapters.everflow.sandbox_handlers import HANDLERS, Call
from shared.adapters.everflow.sandbox_meta import timezones
from shared.adapters.everflow.sandbox_state import Kind, SandboxConfig, SandboxState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
API_KEY_HEADER = "X-Eflow-API-Key"
REPORTING_PREFIX = "/v1/networks/reporting/"
ADMIN_PREFIX = "/__sandbox"


def routes() -> Map:
    """Every Everflow path the sandbox answers; endpoints are (handler name, kind or None)."""
    rules = [
        Rule("/v1/networks/tracking/offers/clicks", methods=["POST"], endpoint=("tracking", None)),
        Rule("/v1/networks/reporting/entity", methods=["POST"], endpoint=("entity", None)),
        Rule("/v1/networks/reporting/entity/table", methods=["POST"], endpoint=("entity", None)),
        Rule("/v1/networks/reporting/conversions", methods=["POST"], endpoint=("conversions", None)),
        Rule("/v1/networks/reporting/clicks/stream", methods=["POST"], endpoint=("clicks", None)),
        Rule("/v1/meta/timezones", methods=["GET"], endpoint=("timezones", None)),
    ]
    for kind in Kind:
        base = f"/v1/networks/{kind.value}"
        rules += [
            Rule(base, methods=["POST"], endpoint=("create", kind)),
            Rule(base, methods=["GET"], endpoint=("list", kind)),
            Rule(f"{base}/<int:entity_id>", methods=["GET"], endpoint=("read", kind)),
            Rule(f"{base}/<int:entity_id>", methods=["PUT"], endpoint=("update", kind)),
            Rule(f"{base}table", methods=["POST"], endpoint=("search", kind)),
            Rule(f"{base}/table", methods=["POST"], endpoint=("search", kind)),
        ]
    return Map(rules, strict_slashes=False)


class SandboxApp:
    """A WSGI application answering like Everflow's Network API."""

    def __init__(self, config: SandboxConfig, state: SandboxState, faults: Faults) -> None:
        self.config = config
        self.state = state
        self.faults = faults
        self.url_map = routes()
        self._reporting_slots = threading.BoundedSemaphore(config.reporting_concurrency)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(ADMIN_PREFIX):
            response = admin(request, config=self.config, state=self.state, faults=self.faults)
        else:
            response = self.api(request)
        return response(environ, start_response)

    def api(self, request: Request) -> Response:
        route = self._match(request)
        path = request.path if isinstance(route, SandboxError) else route[0].rule.replace("<int:entity_id>", "{id}")
        self.state.record_call(f"{request.method} {path}")
        window = self.faults.window()
        try:
            status, payload, headers = 200, self._answer(request, route, window), {}
        except SandboxError as error:
            status, payload, headers = error.status, {self.config.error_key: error.message}, error.headers
        except Exception:  # a sandbox bug: answer like Everflow's 500, keep the traceback for whoever debugs it
            log.exception("Everflow sandbox failed on %s %s", request.method, request.path)
            status, payload, headers = 500, {self.config.error_key: "Internal server error"}, {}
        self.state.record_status(status)
        headers |= {"X-RateLimit-Limit": str(window.limit), "X-RateLimit-Remaining": str(window.remaining)}
        return json_response(payload, status, headers)

    def _match(self, request: Request) -> tuple[Rule, dict[str, Any]] | SandboxError:
        """The matched rule and its values, or the error to answer once the caller is authenticated."""
        try:
            rule, values = self.url_map.bind_to_environ(request.environ).match(return_rule=True)
        except MethodNotAllowed:
            return SandboxError(405, "Method not allowed")
        except HTTPException:
            return SandboxError(404, "Not found")
        return rule, dict(values)

    def _answer(self, request: Request, route: tuple[Rule, dict[str, Any]] | SandboxError,
                window: WindowStatus) -> Json:
        if window.exceeded:
            raise SandboxError(429, "Rate limit exceeded", headers=self._retry_after(window.reset_s))
        self._authenticate(request)
        if isinstance(route, SandboxError):
            raise route
        rule, values = route
        name, kind = rule.endpoint
        body = json_body(request) if request.method in ("POST", "PUT") else {}
        call = Call(self.config, self.state, body, request.args, kind, values.get("entity_id", 0))
        with self._reporting_slot(request.path):
            plan = self.faults.plan(request.path)
            self._suffer(plan)
            payload = timezones() if name == "timezones" else HANDLERS[name](call)
            if plan.hang_after:
                self.faults.wait(plan.hang_s)
            return payload

    def _authenticate(self, request: Request) -> None:
        key = request.headers.get(API_KEY_HEADER, "")
        keys = self.config.api_keys
        if not key or (keys is not None and key not in keys):
            raise SandboxError(401, "No Authentication Method Found")

    @contextmanager
    def _reporting_slot(self, path: str) -> Iterator[None]:
        if not path.startswith(REPORTING_PREFIX):
            yield
            return
        if not self._reporting_slots.acquire(blocking=False):
            raise SandboxError(429, "Too many concurrent reporting requests (at most "
                                    f"{self.config.reporting_concurrency})")
        try:
            yield
        finally:
            self._reporting_slots.release()

    def _suffer(self, plan: Plan) -> None:
        """Apply the injected faults that come before the call takes effect."""
        self.faults.wait(plan.delay_s)
        if plan.throttle:
            retry_after = self._retry_after(self.faults.settings.retry_after_s)
            raise SandboxError(429, "Rate limit exceeded", headers=retry_after)
        if plan.error_status is not None:
            raise SandboxError(plan.error_status, "Internal server error")
        if plan.hang_s and not plan.hang_after:
            self.faults.wait(plan.hang_s)
            raise SandboxError(504, "Gateway timeout")  # the client gave up long ago; the call never took effect

    def _retry_after(self, seconds: int | None) -> dict[str, str]:
        if seconds is None or self.faults.settings.retry_after_s is None:
            return {}
        return {"Retry-After": str(seconds)}
