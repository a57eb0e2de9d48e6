"""The Stripe sandbox: the subset of Stripe's v1 API billing uses, on a loopback port, with signed webhooks.

Tests and `make run` start it in a background thread and point the official `stripe` library at it
(STRIPE_API_BASE=sandbox.base_url, STRIPE_SECRET_KEY=sandbox.secret_key):

    sandbox = start_sandbox()
    sandbox.add_webhook_endpoint("http://127.0.0.1:8080/api/v1/public/webhooks/stripe", sandbox.webhook_secret)
    ...  # stripe calls; events are delivered, signed, as they happen
    sandbox.wait_idle()
    sandbox.stop()

Tests in other processes reach the same switches over HTTP under `/__sandbox` (see sandbox_admin).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from shared.adapters.stripe.sandbox_admin import admin
from shared.adapters.stripe.sandbox_app import StripeApp
from shared.adapters.stripe.sandbox_state import Json, SandboxConfig, Store
from shared.adapters.stripe.sandbox_webhooks import Deliverer, sign

POLL_S = 0.05  # how soon stop() takes effect

__all__ = ["SandboxConfig", "SandboxServer", "sign", "start_sandbox"]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: `calls()` counts the calls."""


class SandboxServer:
    """A running Stripe sandbox: its address, keys, objects, events and webhook deliveries."""

    def __init__(self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.deliverer = Deliverer(self.config.clock)
        self.store = Store(clock=self.config.clock, on_event=self.deliverer.on_event,
                           api_version=self.config.api_version)
        self.app = StripeApp(self.config, self.store, self._admin)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_S},
                                        name="stripe-sandbox", daemon=True)

    def _admin(self, request: Request) -> Response:
        return admin(self, request)

    @property
    def base_url(self) -> str:
        """What replaces `https://api.stripe.com` (STRIPE_API_BASE); the admin API is under `/__sandbox`."""
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def secret_key(self) -> str:
        return self.config.secret_key

    @property
    def publishable_key(self) -> str:
        return self.config.publishable_key

    @property
    def webhook_secret(self) -> str:
        return self.config.webhook_secret

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.deliverer.stop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every object, event, endpoint, delivery, idempotency key, counter and fault."""
        self.deliverer.reset()
        self.store.reset()
        self.inject_faults(status=0, times=0, latency_s=0.0)

    def calls(self) -> Json:
        """API calls per "METHOD /v1/path/{id}" and answers per status, since the last reset."""
        return self.store.snapshot_calls()

    def inject_faults(self, *, status: int = 500, times: int = 1, latency_s: float = 0.0) -> None:
        """The next `times` API calls answer `status` (429 or 5xx); every call first waits `latency_s`."""
        faults = self.app.faults
        faults.status, faults.times, faults.latency_s = status, times, latency_s

    def add_webhook_endpoint(self, url: str, secret: str | None = None) -> None:
        """Deliver every event from now on to `url`, signed with `secret` (default: `webhook_secret`)."""
        self.deliverer.add_endpoint(url, secret or self.webhook_secret)

    def webhook_mode(self, mode: str | None = None, *, duplicate_rate: float | None = None,
                     shuffle: bool | None = None) -> None:
        """"immediate" or "manual" delivery; `duplicate_rate` in 0..1; `shuffle` mixes pending deliveries."""
        self.deliverer.configure(mode, duplicate_rate=duplicate_rate, shuffle=shuffle)

    def events(self, type_: str | None = None) -> list[Json]:
        """Every event so far, oldest first, optionally of one type."""
        with self.store.lock:
            return [e for e in self.store.events if type_ is None or e["type"] == type_]

    def deliver(self, event_id: str, times: int = 1) -> None:
        """(Re)send one event to every endpoint `times` times, whatever the mode."""
        with self.store.lock:
            event = self.store.get(event_id, "event")
        self.deliverer.deliver(event, times)

    def deliveries(self) -> list[Json]:
        """Every delivery attempt: event, type, url, attempt, status (None when the connection failed)."""
        with self.deliverer._cond:
            return list(self.deliverer.attempts)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery is done; False when `timeout` passed first."""
        return self.deliverer.wait_idle(timeout)

    def get(self, object_id: str) -> Json | None:
        """A stored object by id (any kind), as the API would show it."""
        with self.store.lock:
            return self.store.objects.get(object_id)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start_sandbox(config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
                  **options: Any) -> SandboxServer:
    """Start a Stripe sandbox in a background thread, on a free port unless `port` is given."""
    return SandboxServer(config or SandboxConfig(**options), host=host, port=port).start()
