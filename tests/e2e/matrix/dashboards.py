"""Matrix cases of the dashboard API: the target organization's dashboard of its own type (no synced entities,
so nothing but the platform's reaches the Everflow sandbox)."""

from __future__ import annotations

from shared.auth.policy import POLICY
from shared.caching import reset_report_cache
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Expect, Request, own, tenant
from tests.tracking_link_rows import add_campaign, add_link, arrange_partners

DASHBOARD = "/api/v1/dashboard"
ONE = DASHBOARD + "/{org_type}/{organization_id}"
KIND = {"advertiser": "advertiser", "affiliate": "affiliate", "agency": "agency", "platform_owner": "platform"}


def dashboard_of(ctx: Context, suffix: str = "") -> str:
    """The target organization's dashboard path, of the type it has."""
    ctx.fixture("everflow").faults.reset()
    reset_report_cache()  # this test's key prefix
    rows = ctx.fixture("sql")("SELECT type FROM organizations WHERE organization_id = :id", id=ctx.target_org)
    return f"{DASHBOARD}/{KIND[rows[0]['type']]}/{ctx.target_org}{suffix}"


def _campaign(ctx: Context) -> Request:
    """A campaign the target organization's dashboard shows: its own, or (an affiliate's) one it has a link for."""
    path = dashboard_of(ctx)
    sql = ctx.fixture("sql")
    if path.startswith(f"{DASHBOARD}/affiliate/"):
        partners = arrange_partners(sql, ctx.fixture("make_org"), affiliate_org=ctx.target_org)
        add_link(sql, partners)
        campaign_id = partners.campaign_id
    else:
        campaign_id = add_campaign(sql, ctx.target_org)
    return f"{path}/campaigns/{campaign_id}", None


def own_organization(success: int) -> Expect:
    """The caller's own organization's dashboard: none without an organization."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return 404 if relation == "none" else success
    return expect


CASES: dict[tuple[str, str], Case] = {
    ("GET", ONE): (lambda c: (dashboard_of(c), None), tenant(200)),
    ("GET", DASHBOARD): (lambda c: (dashboard_of(c) and DASHBOARD, None), own_organization(200)),
    ("GET", "/api/v1/organizations/{organization_id}/analytics"): (
        lambda c: (dashboard_of(c) and f"/api/v1/organizations/{c.target_org}/analytics", None), tenant(200)),
    ("GET", ONE + "/revenue-chart"): (lambda c: (dashboard_of(c, "/revenue-chart"), None), tenant(200)),
    ("GET", ONE + "/conversion-chart"): (lambda c: (dashboard_of(c, "/conversion-chart"), None), tenant(200)),
    ("GET", ONE + "/performance-chart"): (lambda c: (dashboard_of(c, "/performance-chart"), None), tenant(200)),
    ("GET", ONE + "/campaigns"): (lambda c: (dashboard_of(c, "/campaigns"), None), tenant(200)),
    ("GET", ONE + "/campaigns/{campaign_id}"): (_campaign, tenant(200)),
    ("POST", DASHBOARD + "/cache/invalidate"): (
        lambda c: (f"{DASHBOARD}/cache/invalidate?organizationId={c.target_org}", None), tenant(200)),
    ("GET", DASHBOARD + "/system/health"): (lambda c: (f"{DASHBOARD}/system/health", None), own(200)),
}
