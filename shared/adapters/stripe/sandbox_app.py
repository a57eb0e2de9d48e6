"""The Stripe sandbox's WSGI application: routes, the secret key, Idempotency-Key replays, faults, errors.

Every `/v1` call is counted by method and path template (`POST /v1/payment_intents/{id}/confirm`).
Then, in order: the Bearer key (401), injected faults (latency, 429/5xx), the Idempotency-Key
(replay or 400 idempotency_error), the handler. `/__sandbox/...` is the admin API (sandbox_admin).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared.adapters.stripe import sandbox_customers as customers
from shared.adapters.stripe import sandbox_invoices as invoices
from shared.adapters.stripe import sandbox_payments as payments
from shared.adapters.stripe.sandbox_customers import Call
from shared.adapters.stripe.sandbox_forms import expand, list_object, parse_form, text
from shared.adapters.stripe.sandbox_state import Json, SandboxConfig, Store, Stored, StripeError, new_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/__sandbox"
Handler = Callable[[Call], Json]


def _read_event(call: Call) -> Json:
    return call.store.get(call.id, "event")


def _list_events(call: Call) -> Json:
    events = list(reversed(call.store.events))
    if text(call.params, "type"):
        events = [e for e in events if e["type"] == call.params["type"]]
    return list_object("/v1/events", events, call.params)


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/v1/customers", customers.create_customer),
    ("GET", "/v1/customers/<id>", customers.read_customer),
    ("POST", "/v1/customers/<id>", customers.update_customer),
    ("GET", "/v1/customers/<id>/payment_methods", customers.list_payment_methods),
    ("GET", "/v1/payment_methods", customers.list_payment_methods),
    ("GET", "/v1/payment_methods/<id>", customers.read_payment_method),
    ("POST", "/v1/payment_methods/<id>/attach", customers.attach_payment_method),
    ("POST", "/v1/payment_methods/<id>/detach", customers.detach_payment_method),
    ("POST", "/v1/setup_intents", customers.create_setup_intent),
    ("GET", "/v1/setup_intents/<id>", customers.read_setup_intent),
    ("POST", "/v1/setup_intents/<id>/confirm", customers.confirm_setup_intent),
    ("POST", "/v1/payment_intents", payments.create_payment_intent),
    ("GET", "/v1/payment_intents/search", payments.search_payment_intents),
    ("GET", "/v1/payment_intents/<id>", payments.read_payment_intent),
    ("POST", "/v1/payment_intents/<id>/confirm", payments.confirm_payment_intent),
    ("POST", "/v1/payment_intents/<id>/cancel", payments.cancel_payment_intent),
    ("POST", "/v1/refunds", payments.create_refund),
    ("POST", "/v1/invoiceitems", invoices.create_invoice_item),
    ("POST", "/v1/invoices", invoices.create_invoice),
    ("GET", "/v1/invoices", invoices.list_invoices),
    ("GET", "/v1/invoices/<id>", invoices.read_invoice),
    ("POST", "/v1/invoices/<id>/finalize", invoices.finalize_invoice),
    ("POST", "/v1/invoices/<id>/pay", invoices.pay_invoice),
    ("POST", "/v1/invoices/<id>/void", invoices.void_invoice),
    ("GET", "/v1/events", _list_events),
    ("GET", "/v1/events/<id>", _read_event),
]
HANDLERS: dict[tuple[str, str], Handler] = {(method, path): handler for method, path, handler in ROUTES}
# Charges by id, for tests that look at a charge without expanding it.
HANDLERS[("GET", "/v1/charges/<id>")] = lambda call: call.store.get(call.id, "charge")
HANDLERS[("GET", "/v1/refunds/<id>")] = lambda call: call.store.get(call.id, "refund")
HANDLERS[("GET", "/v1/disputes/<id>")] = lambda call: call.store.get(call.id, "dispute")


@dataclass
class Faults:
    """Injected trouble: the next `times` calls answer `status`; every call waits `latency_s` first."""

    status: int = 0
    times: int = 0
    latency_s: float = 0.0

    def take(self) -> int:
        """The status to fail this call with, or 0."""
        if self.times <= 0:
            return 0
        self.times -= 1
        return self.status


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers or {}, mimetype="application/json")


class StripeApp:
    """A WSGI application answering like Stripe's v1 API for the subset billing uses."""

    def __init__(self, config: SandboxConfig, store: Store, admin: Callable[[Request], Response]) -> None:
        self.config = config
        self.store = store
        self.faults = Faults()
        self.admin = admin
        self._faults_lock = threading.Lock()
        self.url_map = Map([Rule(path, methods=[method], endpoint=(method, path)) for method, path in HANDLERS],
                           strict_slashes=False)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.admin(request) if request.path.startswith(ADMIN_PREFIX) else self.api(request)
        return response(environ, start_response)

    def api(self, request: Request) -> Response:
        request_id = new_id("req")
        try:
            status, payload = 200, self._answer(request, request_id)
        except StripeError as error:
            status, payload = error.status, {"error": error.body | {"request_log_url": None}}
        except Exception:  # a sandbox bug: answer like Stripe's 500 and keep the traceback
            log.exception("Stripe sandbox failed on %s %s", request.method, request.path)
            status, payload = 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        with self.store.lock:
            self.store.statuses[str(status)] += 1
        return json_response(payload, status, {"Request-Id": request_id, "Stripe-Version": self.config.api_version})

    def _answer(self, request: Request, request_id: str) -> Json:
        route = self._match(request)
        template = route[0] if isinstance(route, tuple) else request.path
        with self.store.lock:
            self.store.counts[f"{request.method} {template.replace('<id>', '{id}')}"] += 1
        self._authenticate(request)
        self._suffer()
        if not isinstance(route, tuple):
            raise route
        params = parse_form(request.form.items(multi=True) if request.method == "POST"
                            else request.args.items(multi=True))
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        with self.store.lock:
            return self._run(HANDLERS[(request.method, route[0])], route[1], params, key=key, request=request,
                             request_id=request_id)

    def _run(self, handler: Handler, values: dict[str, str], params: Json, *, key: str | None, request: Request,
             request_id: str) -> Json:
        fingerprint = hashlib.sha256(f"{request.method} {request.path} {json.dumps(params, sort_keys=True)}"
                                     .encode()).hexdigest()
        if key:
            stored = self.store.idempotent.get(key)
            if stored is not None:
                return self._replay(stored, fingerprint, key)
        self.store.request = {"id": request_id, "idempotency_key": key}
        try:
            result = expand(handler(Call(self.store, params, values)), params.get("expand"), self.store)
        except StripeError as error:
            if key:
                self.store.idempotent[key] = Stored(fingerprint, error.status, {"error": error.body})
            raise
        finally:
            self.store.request = {"id": None, "idempotency_key": None}
        if key:
            self.store.idempotent[key] = Stored(fingerprint, 200, result)
        return result

    @staticmethod
    def _replay(stored: Stored, fingerprint: str, key: str) -> Json:
        """Stripe answers a repeated key with the first answer, or refuses different parameters."""
        if stored.fingerprint != fingerprint:
            raise StripeError(400, "Keys for idempotent requests can only be used with the same parameters they "
                                   f"were first used with. Try using a key other than '{key}' if you meant to "
                                   "execute a different request.", type_="idempotency_error")
        if stored.status != 200:
            error = StripeError(stored.status, stored.body["error"]["message"])
            error.body = dict(stored.body["error"])
            raise error
        return stored.body

    def _match(self, request: Request) -> tuple[str, dict[str, str]] | StripeError:
        try:
            endpoint, values = self.url_map.bind_to_environ(request.environ).match()
        except MethodNotAllowed:
            return StripeError(405, f"Unrecognized request URL ({request.method}: {request.path}).")
        except HTTPException:
            return StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                                    "https://stripe.com/docs or we can help at https://support.stripe.com/.")
        return str(endpoint[1]), dict(values)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        key = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not key:
            raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                                   "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                                   "YOUR_SECRET_KEY').")
        if key != self.config.secret_key:
            raise StripeError(401, f"Invalid API Key provided: {key[:8]}{'*' * 8}{key[-4:]}",
                              code="api_key_expired" if key.startswith("rk_") else None)

    def _suffer(self) -> None:
        with self._faults_lock:
            latency, status = self.faults.latency_s, self.faults.take()
        if latency:
            time.sleep(latency)
        if status == 429:
            raise StripeError(429, "Too many requests hit the API too quickly.", code="rate_limit")
        if status:
            raise StripeError(status, "An unknown error occurred", type_="api_error")
