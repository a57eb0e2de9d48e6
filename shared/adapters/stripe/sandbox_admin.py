"""The Stripe sandbox's admin API under `/__sandbox` (JSON in, JSON out; no key, not counted, never faulted).

    POST /__sandbox/reset
    GET  /__sandbox/calls                                 calls per "METHOD /v1/path/{id}" and per status
    POST /__sandbox/faults {"status", "times", "latency_s"}
    POST /__sandbox/webhook_endpoints {"url", "secret"?}  secret defaults to the sandbox's webhook secret
    POST /__sandbox/webhooks/mode {"mode"?, "duplicate_rate"?, "shuffle"?}
    GET  /__sandbox/events?type=                          oldest first
    POST /__sandbox/events/{id}/deliver {"times"?}
    GET  /__sandbox/deliveries                            every delivery attempt and its status
    POST /__sandbox/webhooks/wait_idle {"timeout"?}
    POST /__sandbox/payment_intents/{id}/authenticate {"outcome": "succeed"|"fail"}
    POST /__sandbox/setup_intents/{id}/authenticate {"outcome": "succeed"|"fail"}
    POST /__sandbox/charges/{id}/dispute {"amount"?, "reason"?}
    POST /__sandbox/invoices/{id}/pay_out_of_band
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from shared.adapters.stripe import sandbox_customers as customers
from shared.adapters.stripe import sandbox_invoices as invoices
from shared.adapters.stripe import sandbox_payments as payments
from shared.adapters.stripe.sandbox_app import ADMIN_PREFIX, json_response
from shared.adapters.stripe.sandbox_customers import Call
from shared.adapters.stripe.sandbox_state import Json, StripeError

if TYPE_CHECKING:
    from shared.adapters.stripe.sandbox import SandboxServer


def admin(server: SandboxServer, request: Request) -> Response:
    """Answer one admin call; errors come back in Stripe's error shape."""
    parts = request.path.removeprefix(ADMIN_PREFIX).strip("/").split("/")
    try:
        body = json.loads(request.get_data() or b"{}") if request.method == "POST" else {}
        return json_response(_dispatch(server, request.method, parts, body, request))
    except StripeError as error:
        return json_response({"error": error.body}, error.status)
    except (ValueError, TypeError, KeyError) as error:
        return json_response({"error": {"type": "invalid_request_error", "message": str(error)}}, 400)


def _dispatch(server: SandboxServer, method: str, parts: list[str], body: Json, request: Request) -> Any:
    handler = _CONTROLS.get((method, "/".join(parts)))
    if handler is not None:
        return handler(server, body, request)
    if method == "POST" and len(parts) == 3 and parts[0] == "events" and parts[2] == "deliver":
        server.deliver(parts[1], int(body.get("times", 1)))
        return {"queued": parts[1]}
    with server.store.lock:
        return _act(server, method, parts, body)


def _reset(server: SandboxServer, body: Json, request: Request) -> Json:
    server.reset()
    return {"reset": True}


def _faults(server: SandboxServer, body: Json, request: Request) -> Json:
    server.inject_faults(status=int(body.get("status", 500)), times=int(body.get("times", 1)),
                         latency_s=float(body.get("latency_s", 0.0)))
    return {"faults": vars(server.app.faults)}


def _endpoint(server: SandboxServer, body: Json, request: Request) -> Json:
    server.add_webhook_endpoint(str(body["url"]), str(body.get("secret") or server.webhook_secret))
    return {"endpoints": [e.url for e in server.deliverer.endpoints]}


def _mode(server: SandboxServer, body: Json, request: Request) -> Json:
    server.webhook_mode(body.get("mode"), duplicate_rate=body.get("duplicate_rate"), shuffle=body.get("shuffle"))
    d = server.deliverer
    return {"mode": d.mode, "duplicate_rate": d.duplicate_rate, "shuffle": d.shuffle}


_CONTROLS: dict[tuple[str, str], Callable[[SandboxServer, Json, Request], Any]] = {
    ("POST", "reset"): _reset,
    ("GET", "calls"): lambda server, body, request: server.calls(),
    ("POST", "faults"): _faults,
    ("POST", "webhook_endpoints"): _endpoint,
    ("POST", "webhooks/mode"): _mode,
    ("POST", "webhooks/wait_idle"): lambda server, body, request: {"idle": server.wait_idle(
        float(body.get("timeout", 10)))},
    ("GET", "events"): lambda server, body, request: {"data": server.events(request.args.get("type"))},
    ("GET", "deliveries"): lambda server, body, request: {"data": server.deliveries()},
}


def _act(server: SandboxServer, method: str, parts: list[str], body: Json) -> Json:
    """Admin calls that play a person (the customer, the cardholder): they change state and emit events."""
    store = server.store
    match method, parts:
        case "POST", ["payment_intents", pi_id, "authenticate"]:
            return payments.authenticate(store, pi_id, str(body.get("outcome", "succeed")))
        case "POST", ["setup_intents", seti_id, "authenticate"]:
            intent = store.get(seti_id, "setup_intent")
            if intent["status"] != "requires_action":
                raise StripeError(400, f"The SetupIntent is {intent['status']}, not requires_action.")
            return customers.finish_setup(store, intent, succeeded=body.get("outcome", "succeed") == "succeed")
        case "POST", ["charges", charge_id, "dispute"]:
            amount = body.get("amount")
            return payments.dispute(store, charge_id, int(amount) if amount else None,
                                    str(body.get("reason", "fraudulent")))
        case "POST", ["invoices", invoice_id, "pay_out_of_band"]:
            return invoices.pay_invoice(Call(store, {"paid_out_of_band": "true"}, {"id": invoice_id}))
    raise StripeError(404, f"Unknown sandbox admin call: {method} /{'/'.join(parts)}")
