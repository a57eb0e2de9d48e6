"""Path ids of objects that exist, so the fuzzer reaches real rows and not only the 404 of a random id.

Schemathesis draws path ids at random, and nearly every one names nothing: the answer is a 404 and the
cross-tenant check has no body to read. Half of the positive cases therefore name objects read from the
database just before the operation is fuzzed (the run itself creates and deletes them), alternately
objects of organizations the caller is related to (their answers carry real bodies) and of the others
(their answers must refuse: `foreign_access`). Which object is drawn is seeded, like the rest of a case.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from functions.local.seed import USERS, demo_user_id
from tests.fuzz.tenancy import Fetch, TenantMap

_ORGANIZATIONS = "SELECT organization_id AS value, ARRAY[organization_id] AS organizations FROM organizations"
_OWNED = "SELECT {key} AS value, ARRAY[organization_id] AS organizations FROM {table}"
_BETWEEN = "SELECT {key} AS value, ARRAY[{sides}] AS organizations FROM {table}"
_GLOBAL = "SELECT {key} AS value, ARRAY[]::BIGINT[] AS organizations FROM {table}"
# Path parameter -> rows (value, organizations owning it). A value of the shared catalogue (analytics records,
# sync jobs, publisher domains) belongs to no organization: any caller may name it, so it is never "foreign".
SOURCES: Mapping[str, str] = {
    "organization_id": _ORGANIZATIONS,
    "advertiser_org_id": _ORGANIZATIONS,
    "agency_org_id": _ORGANIZATIONS,
    "advertiser_id": _OWNED.format(key="advertiser_id", table="advertisers"),
    "affiliate_id": _OWNED.format(key="affiliate_id", table="affiliates"),
    "campaign_id": _OWNED.format(key="campaign_id", table="campaigns"),
    "tracking_link_id": _BETWEEN.format(key="tracking_link_id", sides="organization_id, affiliate_org_id",
                                        table="tracking_links"),
    "association_id": _BETWEEN.format(key="association_id", sides="advertiser_org_id, affiliate_org_id",
                                      table="organization_associations"),
    "delegation_id": _BETWEEN.format(key="delegation_id", sides="agency_org_id, advertiser_org_id",
                                     table="agency_delegations"),
    "invitation_id": "SELECT invitation_id AS value, ARRAY[advertiser_org_id] AS organizations"
                     " FROM advertiser_association_invitations",
    "list_id": _OWNED.format(key="list_id", table="favorite_publisher_lists"),
    "domain": "SELECT DISTINCT publisher_domain AS value, ARRAY[]::BIGINT[] AS organizations"
              " FROM favorite_publisher_list_items",
    "conversation_id": _OWNED.format(key="conversation_id", table="publisher_conversations"),
    "payment_id": _OWNED.format(key="payment_id", table="payments"),
    "payment_method_id": _OWNED.format(key="payment_method_id", table="payment_methods"),
    "user_id": "SELECT id::TEXT AS value, ARRAY_REMOVE(ARRAY[organization_id], NULL) AS organizations FROM profiles",
    "sync_job_id": _GLOBAL.format(key="sync_job_id", table="sync_jobs"),
    "/api/v1/advertiser-provider-mappings/ mapping_id": _OWNED.format(key="mapping_id",
                                                                      table="advertiser_provider_mappings"),
    "/api/v1/affiliate-provider-mappings/ mapping_id": _OWNED.format(key="mapping_id",
                                                                     table="affiliate_provider_mappings"),
    "/api/v1/analytics/advertisers/ record_id": _GLOBAL.format(key="id", table="analytics_advertisers"),
    "/api/v1/analytics/affiliates/ record_id": _GLOBAL.format(key="id", table="analytics_publishers"),
}
DEMO_ACCOUNTS = "SELECT id::TEXT AS user_id, organization_id FROM profiles WHERE id = ANY(CAST(:ids AS UUID[]))"
REWRITES = frozenset({"PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RealObject:
    value: Any
    organizations: frozenset[int]


@dataclass(frozen=True)
class Draw:
    """The real path parameters one case got, and the organizations owning the objects they name."""

    parameters: dict[str, Any]
    foreign_owners: frozenset[int]  # the organizations, unrelated to the caller, owning a drawn object (or none)


def source(path: str, name: str) -> str | None:
    """The query listing existing values of a path parameter; a name meaning different tables goes by path."""
    return next((SOURCES[key] for key in (f"{_prefix(path)} {name}", name) if key in SOURCES), None)


def _prefix(path: str) -> str:
    return path.split("{", 1)[0]


def demo_accounts(fetch: Fetch) -> dict[str, frozenset[Any]]:
    """The demo users the fuzzer speaks as and their organizations, by the path parameter naming them.

    A real id lets Admin delete the other demo users or rewrite their organizations: the roles fuzzed
    after it would then speak as nobody. So these are never the object a PUT, PATCH or DELETE rewrites.
    """
    rows = fetch(DEMO_ACCOUNTS, ids=[str(demo_user_id(email)) for _, email, _ in USERS])
    return {"user_id": frozenset(row["user_id"] for row in rows),
            "organization_id": frozenset(row["organization_id"] for row in rows)}


def _rewrites(method: str, path: str, name: str) -> bool:
    return method.upper() in REWRITES and path.endswith(f"{{{name}}}")


class RealIds:
    """The existing objects an operation's path parameters can name, split by the caller's relation to them."""

    def __init__(self, tenants: TenantMap, user_id: uuid.UUID, operation: tuple[str, str], names: Iterable[str],
                 protected: Mapping[str, Set[Any]]) -> None:
        method, path = operation
        allowed = tenants.allowed(user_id)
        self._pools: dict[str, tuple[list[RealObject], list[RealObject]]] = {}
        for name in names:
            query = source(path, name)
            if query is None:
                continue
            spared = protected.get(name, frozenset()) if _rewrites(method, path, name) else frozenset()
            objects = [RealObject(row["value"], frozenset(row["organizations"]))
                       for row in sorted(tenants.fetch(query), key=lambda row: str(row["value"]))
                       if row["value"] not in spared]
            if objects:
                self._pools[name] = _split(objects, allowed)

    def __bool__(self) -> bool:
        return bool(self._pools)

    def draw(self, rng: random.Random, *, foreign: bool) -> Draw:
        """One existing object per parameter, of an unrelated organization when asked and when there is one."""
        parameters, owners = {}, set()
        for name, (related, unrelated) in self._pools.items():
            item = rng.choice(unrelated if foreign and unrelated else related or unrelated)
            parameters[name] = item.value
            if item in unrelated:
                owners |= item.organizations
        return Draw(parameters, frozenset(owners))


def _split(objects: list[RealObject], allowed: frozenset[int] | None) -> tuple[list[RealObject], list[RealObject]]:
    """(related, foreign): foreign when every owner is outside the caller's related set (never for global roles)."""
    pools: tuple[list[RealObject], list[RealObject]] = ([], [])
    for item in objects:
        pools[allowed is not None and bool(item.organizations) and not item.organizations & allowed].append(item)
    return pools
