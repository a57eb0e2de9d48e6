"""Turn a request's bearer token into the caller's identity and, when they have one, their profile."""

from __future__ import annotations

import threading
import time
from uuid import UUID

import flask

from shared.auth.tokens import bearer_token, verify_token
from shared.db.uow import UnitOfWork
from shared.domain.principal import Identity, Principal, TenantScope

# A role or organization change reaches other instances within this many seconds; the instance that
# made the change forgets its entry at once.
PRINCIPAL_TTL_S = 5.0
_MAX_ENTRIES = 10_000


class PrincipalCache:
    """A small in-process cache of profile lookups, so most requests skip the database for auth."""

    def __init__(self, ttl_s: float = PRINCIPAL_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[UUID, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: UUID) -> tuple[bool, Principal | None]:
        with self._lock:
            hit = self._entries.get(user_id)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, user_id: UUID, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[user_id] = (time.monotonic() + self._ttl_s, principal)

    def forget(self, user_id: UUID) -> None:
        with self._lock:
            self._entries.pop(user_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


principals = PrincipalCache()


def identify(request: flask.Request) -> Identity:
    """The verified identity of the bearer token (401 with a reason code otherwise)."""
    token = verify_token(bearer_token(request.headers.get("Authorization")))
    email = token.claims.get("email")
    return Identity(token.user_id, email if isinstance(email, str) and email else None)


def load_principal(identity: Identity) -> Principal | None:
    """The caller's role and organization from their profile; None before they have one."""
    found, principal = principals.get(identity.user_id)
    if found:
        return principal
    with UnitOfWork(TenantScope.only(user_id=identity.user_id)) as uow:
        principal = uow.profiles.principal(identity.user_id)
    principals.put(identity.user_id, principal)
    return principal
