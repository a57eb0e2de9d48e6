"""Matrix cases of the advertisers API."""

from __future__ import annotations

from tests.e2e.matrix import Case, Context, Request, tenant

ADVERTISERS = "/api/v1/advertisers"


def advertiser_of(ctx: Context) -> int:
    """An advertiser of the target organization, written directly (whatever the organization's type)."""
    rows = ctx.fixture("sql")("INSERT INTO advertisers (organization_id, name, contact_email)"
                              " VALUES (:org, 'Matrix Advertiser', 'm@matrix.test') RETURNING advertiser_id",
                              org=ctx.target_org)
    return int(rows[0]["advertiser_id"])


def _create(ctx: Context) -> Request:
    # The matrix asks who may act on an organization; which organization type fits is tested elsewhere.
    ctx.fixture("sql")("UPDATE organizations SET type = 'advertiser' WHERE organization_id = :org"
                       " RETURNING organization_id", org=ctx.target_org)
    return ADVERTISERS, {"name": "Matrix", "contact_email": "m@matrix.test", "organization_id": ctx.target_org}


def _one(ctx: Context) -> str:
    return f"{ADVERTISERS}/{advertiser_of(ctx)}"


CASES: dict[tuple[str, str], Case] = {
    ("POST", ADVERTISERS): (_create, tenant(201)),
    ("GET", f"{ADVERTISERS}/{{advertiser_id}}"): (lambda c: (_one(c), None), tenant(200)),
    ("PUT", f"{ADVERTISERS}/{{advertiser_id}}"): (lambda c: (_one(c), {"internal_notes": "matrix"}), tenant(200)),
    ("DELETE", f"{ADVERTISERS}/{{advertiser_id}}"): (lambda c: (_one(c), None), tenant(204)),
    ("GET", "/api/v1/organizations/{organization_id}/advertisers"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/advertisers", None), tenant(200)),
}
