"""Matrix cases of the campaigns API: every route acts on a campaign or advertiser of the target organization."""

from __future__ import annotations

from tests.e2e.matrix import Case, Context, tenant

ONE = "/api/v1/campaigns/{campaign_id}"


def _advertiser(ctx: Context) -> int:
    rows = ctx.fixture("sql")("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Matrix')"
                              " RETURNING advertiser_id", org=ctx.target_org)
    return int(rows[0]["advertiser_id"])


def _campaign(ctx: Context, status: str = "draft") -> int:
    rows = ctx.fixture("sql")(
        "INSERT INTO campaigns (organization_id, advertiser_id, name, status, destination_url)"
        " VALUES (:org, :adv, 'Matrix', :status, 'https://shop.example') RETURNING campaign_id",
        org=ctx.target_org, adv=_advertiser(ctx), status=status)
    return int(rows[0]["campaign_id"])


def _one(suffix: str = "", status: str = "draft", body: dict[str, str] | None = None, success: int = 200) -> Case:
    """A route on one campaign of the target organization, in `status`."""
    return (lambda c: (f"/api/v1/campaigns/{_campaign(c, status)}{suffix}", body), tenant(success))


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/campaigns"): (
        lambda c: ("/api/v1/campaigns", {"organization_id": c.target_org, "advertiser_id": _advertiser(c),
                                         "name": "Matrix"}), tenant(201)),
    ("GET", ONE): _one(),
    ("PUT", ONE): _one(body={"description": "matrix"}),
    ("DELETE", ONE): _one(status="paused", success=204),
    ("POST", ONE + "/activate"): _one("/activate"),
    ("POST", ONE + "/pause"): _one("/pause", status="active"),
    ("POST", ONE + "/archive"): _one("/archive", status="paused"),
    ("GET", "/api/v1/organizations/{organization_id}/campaigns"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}/campaigns", None), tenant(200)),
    ("GET", "/api/v1/advertisers/{advertiser_id}/campaigns"): (
        lambda c: (f"/api/v1/advertisers/{_advertiser(c)}/campaigns", None), tenant(200)),
}
