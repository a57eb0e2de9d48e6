"""Matrix cases of the affiliates API."""

from __future__ import annotations

from tests.e2e.matrix import Case, Context, Request, tenant

AFFILIATES = "/api/v1/affiliates"


def affiliate_of(ctx: Context) -> int:
    """An affiliate of the target organization, written directly (whatever the organization's type)."""
    rows = ctx.fixture("sql")("INSERT INTO affiliates (organization_id, name, contact_email)"
                              " VALUES (:org, 'Matrix Affiliate', 'm@matrix.test') RETURNING affiliate_id",
                              org=ctx.target_org)
    return int(rows[0]["affiliate_id"])


def _create(ctx: Context) -> Request:
    # The matrix asks who may act on an organization; which organization type fits is tested elsewhere.
    ctx.fixture("sql")("UPDATE organizations SET type = 'affiliate' WHERE organization_id = :org"
                       " RETURNING organization_id", org=ctx.target_org)
    return AFFILIATES, {"name": "Matrix", "organization_id": ctx.target_org}


def _one(ctx: Context) -> str:
    return f"{AFFILIATES}/{affiliate_of(ctx)}"


CASES: dict[tuple[str, str], Case] = {
    ("POST", AFFILIATES): (_create, tenant(201)),
    ("GET", f"{AFFILIATES}/{{affiliate_id}}"): (lambda c: (_one(c), None), tenant(200)),
    ("PUT", f"{AFFILIATES}/{{affiliate_id}}"): (lambda c: (_one(c), {"internal_notes": "matrix"}), tenant(200)),
    ("DELETE", f"{AFFILIATES}/{{affiliate_id}}"): (lambda c: (_one(c), None), tenant(204)),
    ("GET", "/api/v1/organizations/{organization_id}/affiliates"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/affiliates", None), tenant(200)),
}
