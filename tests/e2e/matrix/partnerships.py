"""Matrix cases of organization associations: the target organization is one side of the partnership."""

from __future__ import annotations

from collections.abc import Callable

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Expect, Request, own, tenant

Build = Callable[[Context], Request]
BASE = "/api/v1/organization-associations"
ONE = BASE + "/{association_id}"
ORG = "/api/v1/organizations/{organization_id}"


def asking_side(success: int, asker: Role) -> Expect:
    """Creating needs membership of the side the body names as asking (platform admins act for any)."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return success if role.crosses_tenants or (role is asker and relation == "own") else 403
    return expect


def viewer(role_of_type: Role) -> Expect:
    """Visible-* lists: only for an organization of the fitting type (422 otherwise), 404 for others' ids."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        if not role.crosses_tenants and relation != "own":
            return 404
        return 200 if role is role_of_type else 422  # admins' home is a platform_owner organization
    return expect


def pair(ctx: Context) -> tuple[int, int]:
    """(advertiser, affiliate): the target on the side its type fits, a new organization on the other."""
    make_org = ctx.fixture("make_org")
    if ctx.role is Role.AFFILIATE_MANAGER:
        return make_org("advertiser"), ctx.target_org
    return ctx.target_org, make_org("affiliate")


def valid_pair(ctx: Context) -> tuple[int, int]:
    """A pair the API accepts; administrators (whose home is a platform organization) get two new ones."""
    if ctx.role.crosses_tenants:
        make_org = ctx.fixture("make_org")
        return make_org("advertiser"), make_org("affiliate")
    return pair(ctx)


def association(ctx: Context, status: str = "pending") -> int:
    """An association the target's side may decide: asked by the other side."""
    advertiser, affiliate = pair(ctx)
    kind = "invitation" if ctx.role is Role.AFFILIATE_MANAGER else "request"
    return int(ctx.fixture("sql")(
        "INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, status, association_type)"
        " VALUES (:adv, :aff, :status, :kind) RETURNING association_id",
        adv=advertiser, aff=affiliate, status=status, kind=kind)[0]["association_id"])


def create(route: str) -> Build:
    def build(ctx: Context) -> Request:
        advertiser, affiliate = valid_pair(ctx)
        return f"{BASE}/{route}", {"advertiser_org_id": advertiser, "affiliate_org_id": affiliate}
    return build


def decide(decision: str, status: str) -> Build:
    return lambda ctx: (f"{BASE}/{association(ctx, status)}/{decision}", None)


def visibility(ctx: Context) -> Request:
    flag = "all_affiliates_visible" if ctx.role is Role.AFFILIATE_MANAGER else "all_campaigns_visible"
    return f"{BASE}/{association(ctx)}/visibility", {flag: False}


CASES: dict[tuple[str, str], Case] = {
    ("POST", BASE + "/invitations"): (create("invitations"), asking_side(201, Role.ADVERTISER_MANAGER)),
    ("POST", BASE + "/requests"): (create("requests"), asking_side(201, Role.AFFILIATE_MANAGER)),
    ("GET", BASE): (lambda c: (BASE, None), own(200)),
    ("GET", ONE): (lambda c: (f"{BASE}/{association(c)}", None), tenant(200)),
    ("POST", ONE + "/approve"): (decide("approve", "pending"), tenant(200)),
    ("POST", ONE + "/reject"): (decide("reject", "pending"), tenant(200)),
    ("POST", ONE + "/suspend"): (decide("suspend", "active"), tenant(200)),
    ("POST", ONE + "/reactivate"): (decide("reactivate", "suspended"), tenant(200)),
    ("PUT", ONE + "/visibility"): (visibility, tenant(200)),
    ("GET", ORG + "/associations"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/associations", None), tenant(200)),
    ("GET", ORG + "/visible-affiliates"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/visible-affiliates", None),
        viewer(Role.ADVERTISER_MANAGER)),
    ("GET", ORG + "/visible-campaigns"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/visible-campaigns", None),
        viewer(Role.AFFILIATE_MANAGER)),
}
