"""The Stripe sandbox's memory: objects by id, events, idempotent replies, call counts, and Stripe's errors.

One re-entrant lock guards everything: API calls run one at a time, which is plenty for tests and
makes every multi-object change (a charge, its intent, its events) atomic.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Json = dict[str, Any]
TEMPLATES: dict[str, Json] = json.loads((Path(__file__).with_name("sandbox_templates.json")).read_text())
DEFAULT_SECRET_KEY = "sk_test_sandbox_0123456789abcdef"  # noqa: S105 - the sandbox's public test key
DEFAULT_PUBLISHABLE_KEY = "pk_test_sandbox_0123456789abcdef"
DEFAULT_WEBHOOK_SECRET = "whsec_sandbox_0123456789abcdef"  # noqa: S105 - likewise
API_VERSION = "2026-10-28.endive"  # what stripe==16.1.0 pins; events carry the account's version


class StripeError(Exception):
    """An error answered the way Stripe does: `{"error": {"type", "message", "code"?, "param"?, ...}}`."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Json = {"type": type_, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body |= {k: v for k, v in extra.items() if v is not None}


def missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str, code: str) -> StripeError:
    return StripeError(400, message, code=code)


def new_id(prefix: str) -> str:
    """An id shaped like Stripe's: prefix, underscore, 24 base62-ish characters."""
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'A').replace('_', 'z')}"


def from_template(kind: str, values: Mapping[str, Any]) -> Json:
    """A fresh object of `kind`: the fixture's shape, our values on top."""
    obj = copy.deepcopy(TEMPLATES[kind])
    obj.update(copy.deepcopy(dict(values)))
    return obj


@dataclass
class Stored:
    """A reply kept for an Idempotency-Key: the request it answered and what was answered."""

    fingerprint: str
    status: int
    body: Json


@dataclass
class SandboxConfig:
    secret_key: str = DEFAULT_SECRET_KEY
    publishable_key: str = DEFAULT_PUBLISHABLE_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    api_version: str = API_VERSION
    clock: Callable[[], float] = time.time


@dataclass
class Store:
    """Every object the sandbox holds, by id, plus events (oldest first) and bookkeeping."""

    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, Json] = field(default_factory=dict)
    behaviours: dict[str, str] = field(default_factory=dict)  # pm id -> how its charges go
    events: list[Json] = field(default_factory=list)
    idempotent: dict[str, Stored] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    request: Json = field(default_factory=lambda: {"id": None, "idempotency_key": None})
    on_event: Callable[[Json], None] = field(default=lambda event: None)
    api_version: str = API_VERSION

    def now(self) -> int:
        return int(self.clock())

    def reset(self) -> None:
        with self.lock:
            self.objects.clear()
            self.behaviours.clear()
            self.events.clear()
            self.idempotent.clear()
            self.counts.clear()
            self.statuses.clear()

    def get(self, object_id: str, kind: str, param: str = "id") -> Json:
        """The stored object, or Stripe's 404 naming `kind` (e.g. "customer")."""
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise no_such(kind, object_id, param)
        return obj

    def put(self, obj: Json) -> Json:
        self.objects[obj["id"]] = obj
        return obj

    def of_kind(self, kind: str, **where: Any) -> list[Json]:
        """Objects of a kind matching `where`, newest first (Stripe's list order)."""
        found = [o for o in self.objects.values()
                 if o.get("object") == kind and all(o.get(k) == v for k, v in where.items())]
        return sorted(found, key=lambda o: o.get("created", 0), reverse=True)

    def emit(self, type_: str, obj: Json, previous: Mapping[str, Any] | None = None) -> Json:
        """Record an event carrying a snapshot of `obj` now, and hand it to the webhook deliverer."""
        data: Json = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = copy.deepcopy(dict(previous))
        event = from_template("event", {
            "id": new_id("evt"), "type": type_, "created": self.now(), "api_version": self.api_version,
            "livemode": False, "pending_webhooks": 0, "request": dict(self.request), "data": data,
        })
        self.events.append(event)
        self.objects[event["id"]] = event
        self.on_event(event)
        return event

    def snapshot_calls(self) -> Json:
        with self.lock:
            return {"calls": dict(self.counts), "statuses": dict(self.statuses), "total": sum(self.counts.values())}
