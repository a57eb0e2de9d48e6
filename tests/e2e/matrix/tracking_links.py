"""Matrix cases of the tracking-links API: the target organization is the campaign's side of the link."""

from __future__ import annotations

from shared.config import get_settings
from tests.e2e.matrix import Case, Context, Request, own, tenant
from tests.tracking_link_rows import Partners, add_link, arrange_partners

LINKS = "/api/v1/tracking-links"
OF_ORGANIZATION = "/api/v1/organizations/{organization_id}/tracking-links"


def partners_of(ctx: Context) -> Partners:
    """A campaign of the target organization and an affiliate of a partner (whatever the types)."""
    return arrange_partners(ctx.fixture("sql"), ctx.fixture("make_org"), advertiser_org=ctx.target_org)


def link_of(ctx: Context, **columns: object) -> int:
    return add_link(ctx.fixture("sql"), partners_of(ctx), **columns)


def _create(ctx: Context) -> Request:
    return LINKS, partners_of(ctx).body()


def _qr(ctx: Context) -> Request:
    monkeypatch = ctx.fixture("monkeypatch")
    monkeypatch.delenv("QR_BUCKET", raising=False)
    monkeypatch.setenv("STORAGE_DIR", str(ctx.fixture("tmp_path")))
    get_settings.cache_clear()
    link_id = link_of(ctx, tracking_url="https://track.example.test/matrix")
    return f"/api/v1/organizations/{ctx.target_org}/tracking-links/{link_id}/qr", None


def _of_affiliate(ctx: Context) -> Request:
    partners = arrange_partners(ctx.fixture("sql"), ctx.fixture("make_org"), affiliate_org=ctx.target_org)
    return f"/api/v1/affiliates/{partners.affiliate_id}/tracking-links", None


CASES: dict[tuple[str, str], Case] = {
    ("POST", LINKS): (_create, tenant(201)),
    ("GET", LINKS): (lambda c: (LINKS, None), own(200)),
    ("GET", f"{LINKS}/{{tracking_link_id}}"): (lambda c: (f"{LINKS}/{link_of(c)}", None), tenant(200)),
    ("PUT", f"{LINKS}/{{tracking_link_id}}"): (lambda c: (f"{LINKS}/{link_of(c)}", {"name": "Matrix"}), tenant(200)),
    ("DELETE", f"{LINKS}/{{tracking_link_id}}"): (lambda c: (f"{LINKS}/{link_of(c)}", None), tenant(204)),
    ("GET", OF_ORGANIZATION): (lambda c: (f"/api/v1/organizations/{c.target_org}/tracking-links", None), tenant(200)),
    ("GET", OF_ORGANIZATION + "/{tracking_link_id}/qr"): (_qr, tenant(200)),
    ("GET", "/api/v1/affiliates/{affiliate_id}/tracking-links"): (_of_affiliate, tenant(200)),
    ("GET", "/api/v1/campaigns/{campaign_id}/tracking-links"): (
        lambda c: (f"/api/v1/campaigns/{partners_of(c).campaign_id}/tracking-links", None), tenant(200)),
}
