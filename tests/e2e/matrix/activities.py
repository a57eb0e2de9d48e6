"""Matrix cases of the activity feeds: an organization's (by type and id) and the caller's own."""

from __future__ import annotations

from collections.abc import Callable

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Expect, Request, tenant

FEED = "/api/v1/dashboard/{org_type}/{organization_id}/activities"
OWN = "/api/v1/dashboard/activity"
PATH_TYPE = {"advertiser": "advertiser", "affiliate": "affiliate", "agency": "agency", "platform_owner": "platform"}
BODY = {"type": "custom", "title": "Matrix"}


def feed(ctx: Context) -> str:
    """The target organization's feed, under its own type."""
    [row] = ctx.fixture("sql")("SELECT type FROM organizations WHERE organization_id = :id", id=ctx.target_org)
    return f"/api/v1/dashboard/{PATH_TYPE[str(row['type'])]}/{ctx.target_org}/activities"


def callers_own(success: int) -> Expect:
    """The caller's own organization: allowed roles succeed, without an organization there is none (404)."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return 404 if relation == "none" else success
    return expect


def _feed(body: dict[str, object] | None) -> Callable[[Context], Request]:
    return lambda ctx: (feed(ctx), body)


def _own(body: dict[str, object] | None) -> Callable[[Context], Request]:
    return lambda ctx: (OWN, body)


CASES: dict[tuple[str, str], Case] = {
    ("GET", FEED): (_feed(None), tenant(200)),
    ("POST", FEED): (_feed(BODY), tenant(201)),
    ("GET", OWN): (_own(None), callers_own(200)),
    ("POST", OWN): (_own(BODY), callers_own(201)),
}
