"""Matrix cases of the agency delegations API.

The target organization is one side of the delegation when its type fits (an agency or an advertiser
organization), else (platform administrators' and affiliates' organizations) both sides are fresh
organizations. Each step starts from the status it needs; the side rules follow from the policy, as
agency managers sit in agency organizations and advertiser managers in advertiser ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Expect, Request, own, tenant

BASE = "/api/v1/agency-delegations"
ONE = BASE + "/{delegation_id}"


def _pair(ctx: Context) -> tuple[int, int]:
    """(agency, advertiser) organizations, the target being the one its type fits."""
    kind = ctx.fixture("sql")("SELECT type FROM organizations WHERE organization_id = :id",
                              id=ctx.target_org)[0]["type"]
    make_org = ctx.fixture("make_org")
    if kind == "agency":
        return ctx.target_org, make_org("advertiser")
    if kind == "advertiser":
        return make_org("agency"), ctx.target_org
    return make_org("agency"), make_org("advertiser")


def _delegation(ctx: Context, status: str) -> int:
    agency, advertiser = _pair(ctx)
    rows = ctx.fixture("sql")(
        "INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, status)"
        " VALUES (:agency, :advertiser, ARRAY['campaign_view'], :status) RETURNING delegation_id",
        agency=agency, advertiser=advertiser, status=status)
    return int(rows[0]["delegation_id"])


def _one(suffix: str, status: str, body: dict[str, object] | None = None) -> Callable[[Context], Request]:
    return lambda ctx: (f"{BASE}/{_delegation(ctx, status)}{suffix}", body)


def _member_of_a_side(success: int) -> Expect:
    """Body-named organizations: allowed roles on a side (or across tenants) succeed, others are refused."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return success if role.crosses_tenants or relation == "own" else 403
    return expect


def _create(ctx: Context) -> Request:
    agency, advertiser = _pair(ctx)
    return BASE, {"agency_org_id": agency, "advertiser_org_id": advertiser, "permissions": ["campaign_view"]}


def _check(ctx: Context) -> Request:
    agency, advertiser = _pair(ctx)
    return f"{BASE}/check-permissions", {"agency_org_id": agency, "advertiser_org_id": advertiser,
                                         "permissions": ["campaign_view"]}


def _side_list(side: str) -> Callable[[Context], Request]:
    def build(ctx: Context) -> Request:
        agency, advertiser = _pair(ctx)
        return f"{BASE}/{side}/{agency if side == 'agency' else advertiser}", None
    return build


FUTURE = (datetime.now(UTC) + timedelta(days=365)).isoformat()

CASES: dict[tuple[str, str], Case] = {
    ("POST", BASE): (_create, _member_of_a_side(201)),
    ("GET", BASE): (lambda ctx: (BASE, None), own(200)),
    ("GET", BASE + "/permissions"): (lambda ctx: (f"{BASE}/permissions", None), own(200)),
    ("POST", BASE + "/check-permissions"): (_check, _member_of_a_side(200)),
    ("GET", BASE + "/agency/{agency_org_id}"): (_side_list("agency"), tenant(200)),
    ("GET", BASE + "/advertiser/{advertiser_org_id}"): (_side_list("advertiser"), tenant(200)),
    ("GET", ONE): (_one("", "pending"), tenant(200)),
    ("POST", ONE + "/accept"): (_one("/accept", "pending"), tenant(200)),
    ("POST", ONE + "/reject"): (_one("/reject", "pending"), tenant(200)),
    ("POST", ONE + "/suspend"): (_one("/suspend", "active"), tenant(200)),
    ("POST", ONE + "/reactivate"): (_one("/reactivate", "suspended"), tenant(200)),
    ("POST", ONE + "/revoke"): (_one("/revoke", "active"), tenant(200)),
    ("PUT", ONE + "/permissions"): (_one("/permissions", "active", {"permissions": ["billing_view"]}), tenant(200)),
    ("PUT", ONE + "/expiration"): (_one("/expiration", "active", {"expires_at": FUTURE}), tenant(200)),
}
