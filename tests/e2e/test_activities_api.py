"""The activities API over HTTP: each organization's feed, newest first and paged; custom activities with
their rules; tenant isolation; and the activities domain events leave behind."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.caching import get_report_cache, reset_report_cache
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from tests.conftest import User
from tests.e2e.partners import new_partners
from tests.tracking_link_rows import arrange_partners

OWN = "/api/v1/dashboard/activity"


@dataclass(frozen=True)
class Org:
    org: int
    manager: User
    member: User

    def feed(self, path_type: str = "advertiser") -> str:
        return f"/api/v1/dashboard/{path_type}/{self.org}/activities"


@pytest.fixture
def shop(make_org, make_user) -> Org:
    org = make_org("advertiser", name="Acme Shoes")
    return Org(org, make_user(Role.ADVERTISER_MANAGER, org), make_user(Role.USER, org))


def track(api, shop: Org, **body) -> dict:
    response = api.post(shop.feed(), json={"type": "custom", "title": "Note", **body}, headers=shop.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def add_rows(sql, org: int, count: int, activity_type: str = "custom") -> None:
    """`count` activities an hour apart, the newest titled `#<count>`."""
    sql("INSERT INTO activities (organization_id, activity_type, title, source, occurred_at)"
        " SELECT :org, :type, '#' || n, 'user', now() - make_interval(hours => :count - n)"
        " FROM generate_series(1, :count) AS n", org=org, type=activity_type, count=count)


def test_a_tracked_activity_is_answered_with_201_and_read_back(api, shop) -> None:
    created = track(api, shop, type="revenue_milestone", title="10,000 conversions",
                    description="A round number.", metadata={"conversions": 10_000, "tags": ["q3"]})
    assert {k: created[k] for k in ("organization_id", "type", "title", "description", "metadata", "source",
                                    "actor_user_id", "event_id")} == {
        "organization_id": shop.org, "type": "revenue_milestone", "title": "10,000 conversions",
        "description": "A round number.", "metadata": {"conversions": 10_000, "tags": ["q3"]}, "source": "user",
        "actor_user_id": str(shop.manager.user_id), "event_id": None}
    assert api.get(shop.feed(), headers=shop.member.headers).json() == [created]


def test_the_feed_is_newest_first_and_paged_with_a_total(api, shop, sql) -> None:
    add_rows(sql, shop.org, 25)
    first = api.get(shop.feed() + "?page=1&pageSize=10", headers=shop.member.headers)
    third = api.get(shop.feed() + "?page=3&pageSize=10", headers=shop.member.headers)
    assert [a["title"] for a in first.json()] == [f"#{n}" for n in range(25, 15, -1)]
    assert [a["title"] for a in third.json()] == [f"#{n}" for n in range(5, 0, -1)]
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Pages"], third.headers["X-Page"]) == (
        "25", "3", "3")


def test_the_feed_filters_by_one_or_more_types(api, shop, sql) -> None:
    add_rows(sql, shop.org, 3, "click")
    add_rows(sql, shop.org, 2, "payment")
    add_rows(sql, shop.org, 1, "error")
    clicks = api.get(shop.feed() + "?type=click", headers=shop.member.headers)
    money_or_errors = api.get(shop.feed() + "?type=payment,error", headers=shop.member.headers)
    assert ({a["type"] for a in clicks.json()}, clicks.headers["X-Total-Count"]) == ({"click"}, "3")
    assert ({a["type"] for a in money_or_errors.json()}, money_or_errors.headers["X-Total-Count"]) == (
        {"payment", "error"}, "3")
    assert api.get(shop.feed() + "?type=nonsense", headers=shop.member.headers).status_code == 422


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "teleport", "title": "x"}, "type"),
    ({"type": "custom"}, "title"),
    ({"type": "custom", "title": "   "}, "title"),
    ({"type": "custom", "title": "<script>"}, "title"),
    ({"type": "custom", "title": "x", "metadata": ["not", "an", "object"]}, "metadata"),
    ({"type": "custom", "title": "x", "metadata": {"blob": "y" * 9_000}}, "metadata"),
    ({"type": "custom", "title": "x", "description": "z" * 2_001}, "description"),
    ({"type": "custom", "title": "x", "organization_id": 1}, "organization_id"),
])
def test_an_invalid_activity_is_refused_with_422_and_nothing_stored(api, shop, sql, body, field) -> None:
    response = api.post(shop.feed(), json=body, headers=shop.manager.headers)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert sql("SELECT count(*) AS n FROM activities") == [{"n": 0}]


def test_metadata_past_the_body_limit_is_refused_with_413(api, shop) -> None:
    body = {"type": "custom", "title": "x", "metadata": {"blob": "y" * 1_100_000}}
    assert api.post(shop.feed(), json=body, headers=shop.manager.headers).status_code == 413


def test_plain_members_read_the_feed_but_only_managers_track(api, shop) -> None:
    assert api.get(shop.feed(), headers=shop.member.headers).status_code == 200
    body = {"type": "custom", "title": "Mine"}
    assert api.post(shop.feed(), json=body, headers=shop.member.headers).status_code == 403
    assert api.post(OWN, json=body, headers=shop.member.headers).status_code == 403


def test_another_tenants_feed_is_a_404_and_none_of_its_rows_leak(api, shop, make_org, make_user, sql) -> None:
    rival = make_org("advertiser")
    add_rows(sql, rival, 3)
    for path in (f"/api/v1/dashboard/advertiser/{rival}/activities", "/api/v1/dashboard/advertiser/999999/activities"):
        assert api.get(path, headers=shop.manager.headers).status_code == 404
        posted = api.post(path, json={"type": "custom", "title": "Sneaky"}, headers=shop.manager.headers)
        assert posted.status_code == 404
    assert api.get(shop.feed(), headers=shop.manager.headers).json() == []
    assert api.get(OWN, headers=shop.manager.headers).json() == []
    assert sql("SELECT count(*) AS n FROM activities WHERE title = 'Sneaky'") == [{"n": 0}]
    admin = make_user(Role.ADMIN)
    assert len(api.get(f"/api/v1/dashboard/advertiser/{rival}/activities", headers=admin.headers).json()) == 3


def test_an_org_type_other_than_the_organizations_is_a_404(api, shop, make_org, make_user) -> None:
    for wrong in ("affiliate", "agency", "platform"):
        assert api.get(shop.feed(wrong), headers=shop.manager.headers).status_code == 404
    assert api.get(shop.feed("publisher"), headers=shop.manager.headers).status_code == 404
    platform = make_org("platform_owner")
    owner = make_user(Role.PLATFORM_OWNER, platform)
    assert api.get(f"/api/v1/dashboard/platform/{platform}/activities", headers=owner.headers).status_code == 200
    assert api.get(f"/api/v1/dashboard/platform_owner/{platform}/activities",
                   headers=owner.headers).status_code == 404


def test_the_originals_route_is_the_callers_own_organization(api, shop, make_user) -> None:
    created = api.post(OWN, json={"type": "system_alert", "title": "Heads up"}, headers=shop.manager.headers)
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == shop.org
    assert api.get(OWN, headers=shop.member.headers).json() == [created.json()]
    assert api.get(shop.feed(), headers=shop.member.headers).json() == [created.json()]
    homeless = make_user(Role.ADVERTISER_MANAGER)
    assert api.get(OWN, headers=homeless.headers).status_code == 404


def test_tracking_an_activity_invalidates_the_organizations_report_cache(api, shop) -> None:
    reset_report_cache()  # the live server shares this process's cache: built on this test's settings
    reports = get_report_cache()
    reports.get("overview", f"org:{shop.org}", {"period": "7d"}, lambda: "before")
    track(api, shop)
    assert reports.get("overview", f"org:{shop.org}", {"period": "7d"}, lambda: "after").value == "after"
    reset_report_cache()


def test_a_created_campaign_and_a_partnership_appear_in_the_feeds(api, shop, sql, make_org, make_user) -> None:
    advertiser = int(sql("INSERT INTO advertisers (organization_id, name, status) VALUES (:org, 'Acme', 'active')"
                         " RETURNING advertiser_id", org=shop.org)[0]["advertiser_id"])
    body = {"organization_id": shop.org, "advertiser_id": advertiser, "name": "Spring sale"}
    assert api.post("/api/v1/campaigns", json=body, headers=shop.manager.headers).status_code == 201
    assert local_bus().wait_idle(30)
    feed = api.get(shop.feed(), headers=shop.member.headers).json()
    assert [(a["type"], a["title"], a["source"]) for a in feed] == [  # newest first; no landing page for Everflow
        ("sync_failed", f"Everflow sync failed: campaign {feed[1]['aggregate_id']}", "event"),
        ("campaign_created", "Campaign created: Spring sale", "event")]
    partners = new_partners(make_org, make_user)
    invited = api.post("/api/v1/organization-associations/invitations", headers=partners.advertiser.manager.headers,
                       json={"advertiser_org_id": partners.advertiser.org, "affiliate_org_id": partners.affiliate.org})
    assert invited.status_code == 201, invited.text
    assert local_bus().wait_idle(30)
    for side, path_type in ((partners.advertiser, "advertiser"), (partners.affiliate, "affiliate")):
        feed = api.get(f"/api/v1/dashboard/{path_type}/{side.org}/activities", headers=side.manager.headers).json()
        assert [(a["type"], a["title"]) for a in feed] == [
            ("partnership_invited", "Partnership invitation: Acme Ads → Deal Finders")]


def test_catalogue_changes_read_as_sentences_in_each_sides_feed(api, sql, make_org, make_user) -> None:
    partners = arrange_partners(sql, make_org)
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    posts = [
        ("/api/v1/advertisers", {"organization_id": partners.advertiser_org, "name": "Acme Brand",
          "contact_email": "ads@acme.example"}, advertiser),
        ("/api/v1/affiliates", {"organization_id": partners.affiliate_org, "name": "Coupon Blog",
          "contact_email": "hi@coupons.example"}, affiliate),
        ("/api/v1/advertiser-association-invitations",
         {"advertiser_org_id": partners.advertiser_org, "name": "Open call"}, advertiser),
        ("/api/v1/tracking-links", partners.body(name="Summer link"), affiliate),
    ]
    for path, body, caller in posts:
        response = api.post(path, json=body, headers=caller.headers)
        assert response.status_code == 201, response.text
    assert local_bus().wait_idle(30)
    advertiser_feed = api.get(f"/api/v1/dashboard/advertiser/{partners.advertiser_org}/activities",
                              headers=advertiser.headers).json()
    affiliate_feed = api.get(f"/api/v1/dashboard/affiliate/{partners.affiliate_org}/activities",
                             headers=affiliate.headers).json()
    assert sorted(a["title"] for a in advertiser_feed) == [  # the campaign (SQL-made, no landing page) fails to sync
        "Advertiser added: Acme Brand", f"Everflow sync failed: campaign {partners.campaign_id}",
        "Invitation link created: Open call", "Tracking link generated: Summer link"]
    assert sorted(a["title"] for a in affiliate_feed) == [
        "Affiliate added: Coupon Blog", "Tracking link generated: Summer link"]
    link = next(a for a in affiliate_feed if a["type"] == "link_generated")
    assert link["description"] == f"A link for campaign {partners.campaign_id} and affiliate {partners.affiliate_id}."
