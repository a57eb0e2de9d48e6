"""Tracking-link lists (scoped, filtered, paged, a constant number of queries) and QR codes over HTTP."""

from __future__ import annotations

import threading

import pytest

from shared.db.session import Session
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from tests.qr_decode import decode_qr_png, decode_qr_svg
from tests.storage_emulator import use_directory, use_emulator
from tests.tracking_link_rows import add_campaign, add_link, add_partnership, arrange_partners

LINKS = "/api/v1/tracking-links"
URL = "https://track.example.test/ABC123/DEF456/?sub1=spring"


@pytest.fixture
def partners(sql, make_org, env):
    return arrange_partners(sql, make_org)


@pytest.fixture
def local_storage(monkeypatch, tmp_path, env):
    use_directory(monkeypatch, str(tmp_path))
    return tmp_path


def link_ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [link["tracking_link_id"] for link in response.json()["tracking_links"]]


def test_each_side_lists_the_links_of_its_side_and_nobody_elses(api, sql, make_org, make_user, partners) -> None:
    mine = [add_link(sql, partners, sub1=str(i)) for i in range(3)]
    elsewhere = arrange_partners(sql, make_org)
    add_link(sql, elsewhere)
    for role, org in ((Role.ADVERTISER_MANAGER, partners.advertiser_org),
                      (Role.AFFILIATE_MANAGER, partners.affiliate_org), (Role.USER, partners.affiliate_org)):
        user = make_user(role, org)
        assert link_ids(api.get(LINKS, headers=user.headers)) == sorted(mine, reverse=True)
    assert link_ids(api.get(LINKS, headers=make_user(Role.AFFILIATE_MANAGER).headers)) == []
    assert len(link_ids(api.get(LINKS, headers=make_user(Role.ADMIN).headers))) == 4


def test_lists_filter_by_campaigns_affiliates_and_status(api, sql, make_user, partners) -> None:
    second_campaign = add_campaign(sql, partners.advertiser_org)
    a = add_link(sql, partners, sub1="a")
    b = add_link(sql, partners, sub1="b", status="paused")
    c = add_link(sql, partners, campaign_id=second_campaign)
    headers = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org).headers
    assert link_ids(api.get(f"{LINKS}?campaign_ids={partners.campaign_id}", headers=headers)) == [b, a]
    assert link_ids(api.get(f"{LINKS}?campaign_ids={partners.campaign_id},{second_campaign}&status=active",
                            headers=headers)) == [c, a]
    assert link_ids(api.get(f"{LINKS}?affiliate_ids={partners.affiliate_id}&status=paused", headers=headers)) == [b]
    assert link_ids(api.get(f"{LINKS}?affiliate_ids=999999", headers=headers)) == []


def test_paging_by_limit_and_offset_or_by_page_and_page_size(api, sql, make_user, partners) -> None:
    ids = sorted((add_link(sql, partners, sub1=str(i)) for i in range(7)), reverse=True)
    headers = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org).headers
    by_offset = api.get(f"{LINKS}?limit=3&offset=3", headers=headers)
    assert link_ids(by_offset) == ids[3:6]
    assert {k: by_offset.json()[k] for k in ("total", "page", "page_size", "total_pages")} == {
        "total": 7, "page": 2, "page_size": 3, "total_pages": 3}
    by_page = api.get(f"{LINKS}?page=3&page_size=3", headers=headers)
    assert link_ids(by_page) == ids[6:] and by_page.json()["page"] == 3
    beyond = api.get(f"{LINKS}?page=9&page_size=3", headers=headers).json()
    assert beyond["tracking_links"] == [] and beyond["total"] == 7
    assert api.get(f"{LINKS}", headers=headers).json()["page_size"] == 20
    for bad in ("limit=0", "offset=-1", "page=0", "campaign_ids=a", "status=gone"):
        response = api.get(f"{LINKS}?{bad}", headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["location"] == "query"


def test_the_organization_list_shows_links_where_it_is_either_side(api, sql, make_org, make_user, partners) -> None:
    link = add_link(sql, partners)
    other = arrange_partners(sql, make_org, affiliate_org=partners.affiliate_org)
    other_link = add_link(sql, other)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    path = "/api/v1/organizations/{}/tracking-links"
    assert link_ids(api.get(path.format(partners.affiliate_org), headers=affiliate.headers)) == [other_link, link]
    assert link_ids(api.get(path.format(partners.advertiser_org), headers=advertiser.headers)) == [link]
    assert api.get(path.format(partners.affiliate_org), headers=advertiser.headers).status_code == 404
    assert api.get(path.format(other.advertiser_org), headers=affiliate.headers).status_code == 404
    assert api.get(path.format(999_999), headers=make_user(Role.ADMIN).headers).status_code == 404


def test_campaign_and_affiliate_lists_are_open_to_their_side_and_its_partners(api, sql, make_org, make_user,
                                                                              partners) -> None:
    link = add_link(sql, partners)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    campaign_path = f"/api/v1/campaigns/{partners.campaign_id}/tracking-links"
    affiliate_path = f"/api/v1/affiliates/{partners.affiliate_id}/tracking-links"
    for user in (affiliate, advertiser):
        assert link_ids(api.get(campaign_path, headers=user.headers)) == [link]
        assert link_ids(api.get(affiliate_path, headers=user.headers)) == [link]
    stranger = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    add_partnership(sql, stranger.organization_id, partners.affiliate_org, "pending")
    assert api.get(campaign_path, headers=stranger.headers).status_code == 404
    assert api.get(affiliate_path, headers=stranger.headers).status_code == 404
    sql("UPDATE organization_associations SET status = 'suspended'")
    assert link_ids(api.get(affiliate_path, headers=stranger.headers)) == []  # a partner, with none of these links
    assert link_ids(api.get(campaign_path, headers=affiliate.headers)) == [link]  # suspended: old links stay listed
    assert api.get("/api/v1/campaigns/999999/tracking-links", headers=advertiser.headers).status_code == 404


@pytest.fixture
def count_queries(monkeypatch):
    """The statements the platform runs while the block is open (the server runs in this process)."""
    counted: list[str] = []
    lock = threading.Lock()
    original = Session._run

    def counting(self, sql, params):
        with lock:
            counted.append(sql)
        return original(self, sql, params)

    local_bus().wait_idle(60)  # background syncs of the rows just made are not the list's queries

    monkeypatch.setattr(Session, "_run", counting)
    return counted


@pytest.mark.parametrize("path", [LINKS, "/api/v1/organizations/{adv}/tracking-links",
                                  "/api/v1/campaigns/{campaign}/tracking-links",
                                  "/api/v1/affiliates/{affiliate}/tracking-links"])
def test_every_list_runs_the_same_number_of_queries_whatever_the_page_size(api, sql, make_user, partners,
                                                                          count_queries, path) -> None:
    for i in range(30):
        add_link(sql, partners, sub1=str(i), tags='["a", "b"]')
    headers = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org).headers
    url = path.format(adv=partners.advertiser_org, campaign=partners.campaign_id, affiliate=partners.affiliate_id)
    api.get(url, headers=headers)  # warm the principal cache
    counts = []
    for size in (1, 30):
        count_queries.clear()
        assert len(link_ids(api.get(f"{url}?page_size={size}", headers=headers))) == size
        counts.append(len(count_queries))
    assert counts[0] == counts[1] <= 7


def test_the_qr_code_serves_png_and_svg_of_the_url_to_either_side(api, sql, make_user, partners,
                                                                  local_storage) -> None:
    link_id = add_link(sql, partners, tracking_url=URL)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    got = api.get(f"{LINKS}/{link_id}", headers=affiliate.headers).json()
    assert got["qr_code_url"].endswith(f"/api/v1/organizations/{partners.advertiser_org}/tracking-links/{link_id}/qr")
    assert got["qr_code_url"].startswith(api.base_url)  # the request's own host
    png = api.http.get(got["qr_code_url"], headers=affiliate.headers, timeout=5)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert decode_qr_png(png.content) == [URL]
    svg = api.get(f"/api/v1/organizations/{partners.affiliate_org}/tracking-links/{link_id}/qr?format=svg",
                  headers=make_user(Role.USER, partners.advertiser_org).headers)
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in svg.headers["Content-Security-Policy"]
    assert decode_qr_svg(svg.content) == [URL]
    assert list(local_storage.rglob("*.png")) and list(local_storage.rglob("*.svg"))


def test_the_qr_code_is_not_found_without_a_url_or_outside_the_links_sides(api, sql, make_org, make_user, partners,
                                                                           local_storage) -> None:
    pending = add_link(sql, partners, sub1="pending")
    ready = add_link(sql, partners, tracking_url=URL)
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    qr = "/api/v1/organizations/{}/tracking-links/{}/qr"
    assert api.get(f"{LINKS}/{pending}", headers=advertiser.headers).json()["qr_code_url"] is None
    assert api.get(qr.format(partners.advertiser_org, pending), headers=advertiser.headers).status_code == 404
    other_org = make_org("advertiser")
    assert api.get(qr.format(other_org, ready), headers=make_user(Role.ADMIN).headers).status_code == 404
    stranger = make_user(Role.ADVERTISER_MANAGER, other_org)
    assert api.get(qr.format(partners.advertiser_org, ready), headers=stranger.headers).status_code == 404
    assert api.get(qr.format(partners.advertiser_org, ready) + "?format=gif",
                   headers=advertiser.headers).status_code == 422


def test_with_cloud_storage_the_qr_code_redirects_to_the_stored_image(api, sql, make_user, partners, monkeypatch,
                                                                      storage_emulator) -> None:
    use_emulator(monkeypatch, storage_emulator)
    link_id = add_link(sql, partners, tracking_url=URL)
    headers = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org).headers
    path = f"/api/v1/organizations/{partners.advertiser_org}/tracking-links/{link_id}/qr"
    redirect = api.get(path, headers=headers, allow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(storage_emulator)
    image = api.http.get(redirect.headers["Location"], timeout=5)
    assert image.headers["Content-Type"] == "image/png"
    assert decode_qr_png(image.content) == [URL]
    svg = api.get(path + "?format=svg", headers=headers)  # followed
    assert decode_qr_svg(svg.content) == [URL]
