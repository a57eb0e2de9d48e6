"""What an Everflow sandbox holds: its settings, the stored objects with sequential ids, and call counters."""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.adapters.everflow.sandbox_fields import Json, bad_request, not_found

DEFAULT_API_KEY = "sandbox-everflow-api-key"
ERROR_KEYS = frozenset({"Error", "error"})


class Kind(StrEnum):
    """The kinds of Everflow object the sandbox stores, named as in their paths."""

    ADVERTISERS = "advertisers"
    AFFILIATES = "affiliates"
    OFFERS = "offers"

    @property
    def singular(self) -> str:
        return self.value[:-1]

    @property
    def id_field(self) -> str:
        return f"network_{self.singular}_id"


@dataclass
class SandboxConfig:
    """How the sandbox answers; `error_key`, `strict` and `api_keys` may change while it runs."""

    api_keys: frozenset[str] | None = frozenset({DEFAULT_API_KEY})  # None accepts any non-empty key
    error_key: str = "Error"  # Everflow's quirk as two clients observed it; "error" per the newer docs
    strict: bool = False  # also require the fields only RB/TF found necessary (contract §2.1-2.3)
    network_id: int = 1
    tracking_domains: dict[int, str] = field(default_factory=lambda: {1: "trk.sandbox-everflow.test"})
    default_tracking_domain_id: int = 1
    reporting_concurrency: int = 10  # Everflow refuses an 11th concurrent /reporting call
    nominal_rate_limit: int = 600  # X-RateLimit-Limit per 30-s window when no limit is enforced (20 r/s)
    clock: Callable[[], float] = time.time

    def configure(self, *, error_key: str | None = None, strict: bool | None = None) -> None:
        """Change how errors are keyed and how strictly bodies are checked."""
        if error_key is not None:
            if error_key not in ERROR_KEYS:
                raise bad_request("error_key must be Error or error")
            self.error_key = error_key
        if strict is not None:
            self.strict = strict

    def accept_keys(self, keys: Collection[str] | None) -> None:
        """Accept exactly these API keys from now on (None: any non-empty key)."""
        self.api_keys = None if keys is None else frozenset(keys)

    def as_json(self) -> Json:
        keys = None if self.api_keys is None else sorted(self.api_keys)
        return {"error_key": self.error_key, "strict": self.strict, "api_keys": keys,
                "network_id": self.network_id, "tracking_domains": self.tracking_domains}


class SandboxState:
    """Stored objects and counters. Reads return copies; `lock` spans a check-then-write by a handler."""

    def __init__(self, clock: Callable[[], float], network_id: int) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._network_id = network_id
        self._records: dict[Kind, dict[int, Json]] = {kind: {} for kind in Kind}
        self._sequences: Counter[str] = Counter()
        self._emails: dict[Kind, set[str]] = {kind: set() for kind in Kind}  # user e-mails are unique
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[int] = Counter()

    def now(self) -> int:
        return int(self._clock())

    def insert(self, kind: Kind, record: Json) -> Json:
        """Store a new object under the next id of its kind."""
        with self.lock:
            entity_id = self._next(kind.value)
            now = self.now()
            stored = {kind.id_field: entity_id, "network_id": self._network_id, **record,
                      "time_created": now, "time_saved": now}
            stored["users"] = [self._with_user_id(kind, user) for user in record.get("users", [])]
            self._emails[kind].update(user["email"] for user in stored["users"])
            self._records[kind][entity_id] = stored
            return copy.deepcopy(stored)

    def replace(self, kind: Kind, entity_id: int, record: Json) -> Json:
        """Full replacement; `time_saved` moves only when a base-level (non-nested) field changed."""
        with self.lock:
            old = self._records[kind].get(entity_id)
            if old is None:
                raise not_found(kind.singular.capitalize())
            stored = {kind.id_field: entity_id, "network_id": self._network_id, **record,
                      "time_created": old["time_created"], "time_saved": old["time_saved"],
                      "users": old.get("users", [])}  # users are managed by their own endpoints, not PUT
            if _base(stored) != _base(old):
                stored["time_saved"] = self.now()
            self._records[kind][entity_id] = stored
            return copy.deepcopy(stored)

    def get(self, kind: Kind, entity_id: int) -> Json:
        record = self.find(kind, entity_id)
        if record is None:
            raise not_found(kind.singular.capitalize())
        return record

    def find(self, kind: Kind, entity_id: int) -> Json | None:
        with self.lock:
            record = self._records[kind].get(entity_id)
            return None if record is None else copy.deepcopy(record)

    def email_taken(self, kind: Kind, email: str) -> bool:
        with self.lock:
            return email in self._emails[kind]

    def records(self, kind: Kind) -> list[Json]:
        """Every stored object of a kind, by id."""
        with self.lock:
            return [copy.deepcopy(self._records[kind][key]) for key in sorted(self._records[kind])]

    def record_call(self, label: str) -> None:
        with self.lock:
            self._calls[label] += 1

    def record_status(self, status: int) -> None:
        with self.lock:
            self._statuses[status] += 1

    def calls(self) -> Json:
        """Calls per endpoint (`"POST /v1/networks/advertisers"`) and answers per status."""
        with self.lock:
            return {"total": sum(self._calls.values()), "by_endpoint": dict(self._calls),
                    "by_status": {str(status): count for status, count in sorted(self._statuses.items())}}

    def objects(self) -> dict[str, list[Json]]:
        return {kind.value: self.records(kind) for kind in Kind}

    def snapshot(self) -> Json:
        """The stored objects and id sequences, as JSON (counters are not kept)."""
        with self.lock:
            return {"records": {kind.value: list(self._records[kind].values()) for kind in Kind},
                    "sequences": dict(self._sequences)}

    def restore(self, snapshot: Json) -> None:
        """Replace the stored objects with a snapshot's, so ids continue where they stopped."""
        with self.lock:
            self.reset(counters=False)
            for kind in Kind:
                for record in snapshot["records"].get(kind.value, []):
                    self._records[kind][record[kind.id_field]] = record
                    self._emails[kind].update(user["email"] for user in record.get("users", []))
            self._sequences.update(snapshot["sequences"])

    def reset(self, *, data: bool = True, counters: bool = True) -> None:
        with self.lock:
            if data:
                self._records = {kind: {} for kind in Kind}
                self._emails = {kind: set() for kind in Kind}
                self._sequences.clear()
            if counters:
                self._calls.clear()
                self._statuses.clear()

    def _next(self, sequence: str) -> int:
        self._sequences[sequence] += 1
        return self._sequences[sequence]

    def _with_user_id(self, kind: Kind, user: Json) -> Json:
        user_id = self._next(f"{kind.value}.users")
        return {f"network_{kind.singular}_user_id": user_id, **user, "time_created": self.now()}


def _base(record: Json) -> dict[str, Any]:
    return {key: value for key, value in record.items()
            if not isinstance(value, dict | list) and key not in ("time_created", "time_saved")}
