"""The cross-tenant check: no response shows a non-global user an organization it has nothing to do with.

Which organizations a user may see is read from the database, not written down here: its own, every
organization it has a partnership (association) or agency delegation with, in any state (both sides see
the pending invitation they exchanged), and, through an active delegation, the delegating advertiser's
partners. The fuzzer itself creates organizations, partnerships and delegations, so a response naming an
organization outside the cached set re-reads the database before it counts as a leak.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jwt
import schemathesis

from shared.domain.roles import Role

# Fields whose integer value is an organization id; nested "organization" objects carry `organization_id`.
ORGANIZATION_FIELDS = frozenset({
    "organization_id", "advertiser_org_id", "affiliate_org_id", "agency_org_id",
    "acting_organization_id", "on_behalf_of_organization_id",
})
ORGANIZATION_LIST_FIELDS = frozenset({"allowed_affiliate_org_ids"})
# Anyone may create an organization; the one just created, in the answer to creating it, is the caller's to see.
CREATES_ORGANIZATION = frozenset({"POST /api/v1/organizations", "POST /api/v1/public/organizations"})

RELATED_ORGANIZATIONS = """
WITH me AS (SELECT organization_id, role_id FROM profiles WHERE id = CAST(:user_id AS UUID)),
direct AS (
    SELECT CASE WHEN a.advertiser_org_id = me.organization_id THEN a.affiliate_org_id
                ELSE a.advertiser_org_id END AS organization_id
      FROM organization_associations a, me
     WHERE me.organization_id IN (a.advertiser_org_id, a.affiliate_org_id)
    UNION
    SELECT CASE WHEN d.agency_org_id = me.organization_id THEN d.advertiser_org_id
                ELSE d.agency_org_id END
      FROM agency_delegations d, me
     WHERE me.organization_id IN (d.agency_org_id, d.advertiser_org_id)
),
delegated_partners AS (
    SELECT CASE WHEN a.advertiser_org_id = d.advertiser_org_id THEN a.affiliate_org_id
                ELSE a.advertiser_org_id END AS organization_id
      FROM agency_delegations d
      JOIN me ON d.agency_org_id = me.organization_id AND d.status = 'active'
      JOIN organization_associations a ON d.advertiser_org_id IN (a.advertiser_org_id, a.affiliate_org_id)
)
SELECT organization_id, role_id, TRUE AS own FROM me WHERE organization_id IS NOT NULL
UNION SELECT organization_id, NULL, FALSE FROM direct
UNION SELECT organization_id, NULL, FALSE FROM delegated_partners
"""

LEAK_CHECK = "no_cross_tenant_data"
Fetch = Callable[..., list[dict[str, Any]]]


def organization_ids(document: Any) -> Iterator[int]:
    """Every organization id anywhere in a JSON document (nested objects and lists included)."""
    if isinstance(document, list):
        for item in document:
            yield from organization_ids(item)
    elif isinstance(document, Mapping):
        for key, value in document.items():
            if key in ORGANIZATION_FIELDS and isinstance(value, int) and not isinstance(value, bool):
                yield value
            elif key in ORGANIZATION_LIST_FIELDS and isinstance(value, list):
                yield from (item for item in value if isinstance(item, int) and not isinstance(item, bool))
            else:
                yield from organization_ids(value)


class TenantMap:
    """Per user, the organizations it may see (None for the global roles), read from the database on demand."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self._lock = threading.Lock()
        self._allowed: dict[uuid.UUID, frozenset[int] | None] = {}
        self.examined = 0  # answers to a non-global user that named at least one organization: the check had work

    def allowed(self, user_id: uuid.UUID, *, refresh: bool = False) -> frozenset[int] | None:
        with self._lock:
            if refresh or user_id not in self._allowed:
                self._allowed[user_id] = self._read(user_id)
            return self._allowed[user_id]

    def unrelated(self, user_id: uuid.UUID, seen: set[int]) -> set[int]:
        """The organizations in `seen` the user has nothing to do with, after a re-read when the cache says so."""
        allowed = self.allowed(user_id)
        if allowed is None or not seen:
            return set()
        with self._lock:
            self.examined += 1
        if seen <= allowed:
            return set()
        allowed = self.allowed(user_id, refresh=True)
        return set() if allowed is None else seen - allowed

    def foreign(self, user_id: uuid.UUID, owners: frozenset[int]) -> bool:
        """Whether none of `owners` is related to the user, after a re-read (the run makes relations too)."""
        allowed = self.allowed(user_id, refresh=True)
        return allowed is not None and bool(owners) and not owners & allowed

    def _read(self, user_id: uuid.UUID) -> frozenset[int] | None:
        rows = self.fetch(RELATED_ORGANIZATIONS, user_id=str(user_id))
        own = [row for row in rows if row["own"]]
        if own and Role(own[0]["role_id"]).crosses_tenants:
            return None
        return frozenset(int(row["organization_id"]) for row in rows if row["organization_id"] is not None)


def token_subject(authorization: str | None) -> uuid.UUID | None:
    """The user a request spoke for: the `sub` of its bearer token (already verified by the server)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError):
        return None


def cross_tenant_check(tenants: TenantMap) -> schemathesis.CheckFunction:
    """A schemathesis check failing when a JSON response names an organization unrelated to the caller."""

    def no_cross_tenant_data(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                             case: schemathesis.Case) -> bool | None:
        user_id = token_subject(response.request.headers.get("Authorization"))
        if user_id is None or not response.content or "json" not in response.headers.get("content-type", [""])[0]:
            return None
        document = response.json()
        leaked = tenants.unrelated(user_id, set(organization_ids(document)) - _created(case, response, document))
        if leaked:
            raise AssertionError(f"user {user_id} was shown organization(s) {sorted(leaked)} it is not related to")
        return None

    no_cross_tenant_data.__name__ = LEAK_CHECK
    return no_cross_tenant_data


def _created(case: schemathesis.Case, response: schemathesis.Response, document: Any) -> set[int]:
    if response.status_code == 201 and case.operation.label in CREATES_ORGANIZATION and isinstance(document, dict):
        return {document.get("organization_id", 0)}
    return set()
