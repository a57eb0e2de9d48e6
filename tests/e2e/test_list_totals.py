"""List totals: exact up to 10,000 matches, past that 10,000 marked as a lower bound (issue 4)."""

from __future__ import annotations

import pytest

from shared.domain.paging import TOTAL_CAP
from shared.domain.roles import Role
from tests.tracking_link_rows import arrange_partners

ROWS = TOTAL_CAP + 1
SERIES = "generate_series(1, :rows) AS n"


@pytest.mark.parametrize(("table", "org_type", "role"), [("advertisers", "advertiser", Role.ADVERTISER_MANAGER),
                                                         ("affiliates", "affiliate", Role.AFFILIATE_MANAGER)])
def test_a_bare_array_list_past_the_cap_tells_its_total_as_a_lower_bound(api, sql, make_org, make_user, table,
                                                                          org_type, role) -> None:
    org = make_org(org_type)
    sql(f"INSERT INTO {table} (organization_id, name, status) SELECT :org, 'Row ' || n,"
        f" CASE WHEN n <= 3 THEN 'pending' ELSE 'active' END FROM {SERIES}", org=org, rows=ROWS)
    path, headers = f"/api/v1/organizations/{org}/{table}", make_user(role, org).headers

    past = api.get(f"{path}?page=2&page_size=20", headers=headers)
    assert (past.status_code, len(past.json())) == (200, 20)
    assert (past.headers["X-Total-Count"], past.headers["X-Total-Pages"]) == ("10000+", "500+")
    pending = api.get(f"{path}?status=pending", headers=headers)
    assert (len(pending.json()), pending.headers["X-Total-Count"]) == (3, "3")

    sql(f"UPDATE {table} SET status = 'archived' WHERE organization_id = :org AND name = 'Row 1'", org=org)
    at_cap = api.get(f"{path}?page_size=20", headers=headers)  # archived rows are not listed: 10,000 match
    assert (at_cap.headers["X-Total-Count"], at_cap.headers["X-Total-Pages"]) == ("10000", "500")


def test_a_campaign_list_past_the_cap_marks_its_total_as_a_lower_bound(api, sql, make_org, make_user) -> None:
    org = make_org("advertiser")
    advertiser = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Brand') RETURNING advertiser_id",
                     org=org)[0]["advertiser_id"]
    sql(f"INSERT INTO campaigns (organization_id, advertiser_id, name) SELECT :org, :adv, 'Campaign ' || n"
        f" FROM {SERIES}", org=org, adv=advertiser, rows=ROWS)
    headers = make_user(Role.ADVERTISER_MANAGER, org).headers

    for path in (f"/api/v1/organizations/{org}/campaigns", f"/api/v1/advertisers/{advertiser}/campaigns"):
        listed = api.get(f"{path}?page=3&page_size=50", headers=headers)
        body = listed.json()
        assert (len(body["campaigns"]), body["total"], body["total_is_lower_bound"]) == (50, TOTAL_CAP, True)
        assert listed.headers["X-Total-Count"] == "10000+"
    exact = api.get(f"/api/v1/organizations/{org}/campaigns?search=Campaign 1000", headers=headers).json()
    assert (exact["total"], exact["total_is_lower_bound"]) == (3, False)  # Campaign 1000, 10000 and 10001


def test_a_tracking_link_list_past_the_cap_marks_its_total_as_a_lower_bound(api, sql, make_org, make_user) -> None:
    partners = arrange_partners(sql, make_org)
    sql("INSERT INTO tracking_links (organization_id, affiliate_org_id, campaign_id, affiliate_id, name, source_id)"
        f" SELECT :org, :partner, :campaign, :affiliate, 'Link ' || n, 'source-' || n FROM {SERIES}",
        org=partners.advertiser_org, partner=partners.affiliate_org, campaign=partners.campaign_id,
        affiliate=partners.affiliate_id, rows=ROWS)
    newest = sql("SELECT max(tracking_link_id) AS id FROM tracking_links")[0]["id"]

    for org, role in ((partners.advertiser_org, Role.ADVERTISER_MANAGER),
                      (partners.affiliate_org, Role.AFFILIATE_MANAGER)):
        headers = make_user(role, org).headers
        for path in (f"/api/v1/organizations/{org}/tracking-links", "/api/v1/tracking-links",
                     f"/api/v1/campaigns/{partners.campaign_id}/tracking-links"):
            body = api.get(f"{path}?page_size=20", headers=headers).json()
            assert [link["tracking_link_id"] for link in body["tracking_links"]][:1] == [newest]
            assert {k: body[k] for k in ("total", "total_is_lower_bound", "total_pages")} == {
                "total": TOTAL_CAP, "total_is_lower_bound": True, "total_pages": 500}
    paused = api.get("/api/v1/tracking-links?status=paused", headers=headers).json()
    assert (paused["total"], paused["total_is_lower_bound"]) == (0, False)
