"""Creating and changing tracking links over HTTP: create-or-return, partnership rules, updates, events."""

from __future__ import annotations

import threading

import pytest

from shared.domain.roles import Role
from tests.tracking_link_rows import (
    add_affiliate,
    add_campaign,
    add_link,
    add_partnership,
    arrange_partners,
    audit,
    events,
)

LINKS = "/api/v1/tracking-links"


def count_links(sql) -> int:
    return int(sql("SELECT count(*) AS n FROM tracking_links")[0]["n"])


@pytest.fixture
def partners(sql, make_org, env):
    return arrange_partners(sql, make_org)


@pytest.fixture
def advertiser(make_user, partners):
    return make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)


@pytest.fixture
def affiliate(make_user, partners):
    return make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)


def test_a_new_link_is_created_and_the_same_parameters_return_it(api, partners, advertiser, affiliate, sql) -> None:
    first = api.post(LINKS, json=partners.body(source_id="news", sub1="spring"), headers=affiliate.headers)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["is_new"] is True and created["generated_url"] is None and created["qr_code_url"] is None
    link = created["tracking_link"]
    assert (link["organization_id"], link["affiliate_org_id"]) == (partners.advertiser_org, partners.affiliate_org)
    assert (link["status"], link["source_id"], link["sub1"], link["sub2"]) == ("active", "news", "spring", None)
    again = api.post(LINKS, json=partners.body(name="Other name", source_id="news", sub1="spring", sub2=""),
                     headers=advertiser.headers)
    assert again.status_code == 200
    assert again.json()["is_new"] is False
    assert again.json()["tracking_link"] == link  # returned as it is, not overwritten
    assert count_links(sql) == 1


def test_links_without_sub_ids_are_unique_too(api, partners, affiliate, sql) -> None:
    statuses = [api.post(LINKS, json=partners.body(**extra), headers=affiliate.headers).status_code
                for extra in ({}, {"sub1": ""}, {"source_id": "  ", "sub5": None}, {"sub1": "x"})]
    assert statuses == [201, 200, 200, 201]
    assert count_links(sql) == 2


def test_concurrent_duplicate_creation_yields_one_link(api, partners, affiliate, sql) -> None:
    start = threading.Barrier(8)
    results: list[tuple[int, int]] = []

    def post() -> None:
        start.wait()
        response = api.post(LINKS, json=partners.body(sub1="race"), headers=affiliate.headers)
        results.append((response.status_code, response.json()["tracking_link"]["tracking_link_id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({link_id for _, link_id in results}) == 1
    assert count_links(sql) == 1
    assert len(events(sql, results[0][1])) == 1


def test_a_link_needs_an_active_partnership(api, sql, make_org, make_user) -> None:
    partners = arrange_partners(sql, make_org, partnership=None)
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    admin = make_user(Role.ADMIN)
    assert api.post(LINKS, json=partners.body(), headers=affiliate.headers).status_code == 404  # campaign unseen
    assert api.post(LINKS, json=partners.body(), headers=advertiser.headers).status_code == 404  # affiliate unseen
    refused = api.post(LINKS, json=partners.body(), headers=admin.headers)
    assert refused.status_code == 409 and "no active partnership" in refused.json()["error"]["message"]
    for status in ("pending", "suspended"):
        sql("DELETE FROM organization_associations")
        add_partnership(sql, partners.advertiser_org, partners.affiliate_org, status)
        assert api.post(LINKS, json=partners.body(), headers=affiliate.headers).status_code == 404
        assert api.post(LINKS, json=partners.body(), headers=admin.headers).status_code == 409
    assert count_links(sql) == 0


def test_the_partnerships_visibility_limits_what_may_be_linked(api, sql, make_org, make_user) -> None:
    partners = arrange_partners(sql, make_org, partnership=None)
    other_campaign = add_campaign(sql, partners.advertiser_org)
    add_partnership(sql, partners.advertiser_org, partners.affiliate_org, campaigns=[other_campaign], affiliates=[])
    advertiser = make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    assert api.post(LINKS, json=partners.body(), headers=affiliate.headers).status_code == 404
    hidden_affiliate = api.post(LINKS, json=partners.body(campaign_id=other_campaign), headers=affiliate.headers)
    assert hidden_affiliate.status_code == 409
    assert "Affiliate" in hidden_affiliate.json()["error"]["message"]
    assert api.post(LINKS, json=partners.body(campaign_id=other_campaign),
                    headers=advertiser.headers).status_code == 404
    sql("UPDATE organization_associations SET all_affiliates_visible = true")
    assert api.post(LINKS, json=partners.body(campaign_id=other_campaign),
                    headers=affiliate.headers).status_code == 201


@pytest.mark.parametrize(("campaign_status", "affiliate_status", "status"), [
    ("draft", "active", 409), ("archived", "active", 409), ("active", "archived", 409),
    ("paused", "active", 201), ("active", "pending", 201),
])
def test_campaign_and_affiliate_statuses(api, sql, make_org, make_user, campaign_status, affiliate_status,
                                         status) -> None:
    partners = arrange_partners(sql, make_org)
    sql("UPDATE campaigns SET status = :s", s=campaign_status)
    sql("UPDATE affiliates SET status = :s", s=affiliate_status)
    response = api.post(LINKS, json=partners.body(),
                        headers=make_user(Role.ADVERTISER_MANAGER, partners.advertiser_org).headers)
    assert response.status_code == status, response.text
    assert count_links(sql) == (1 if status == 201 else 0)


def test_outsiders_and_plain_users_cannot_create_links(api, partners, sql, make_org, make_user) -> None:
    stranger = make_user(Role.AFFILIATE_MANAGER, make_org("affiliate"))
    stranger_affiliate = add_affiliate(sql, stranger.organization_id)
    assert api.post(LINKS, json=partners.body(), headers=stranger.headers).status_code == 404
    assert api.post(LINKS, json=partners.body(affiliate_id=stranger_affiliate),
                    headers=stranger.headers).status_code == 404
    member = make_user(Role.USER, partners.advertiser_org)
    assert api.post(LINKS, json=partners.body(), headers=member.headers).status_code == 403
    assert api.post(LINKS, json=partners.body(campaign_id=999_999), headers=make_user(Role.ADMIN).headers
                    ).status_code == 404
    assert count_links(sql) == 0


BAD_BODIES = [
    ("no name", {"name": None}),
    ("blank name", {"name": "   "}),
    ("markup name", {"name": "<b>x</b>"}),
    ("campaign id zero", {"campaign_id": 0}),
    ("campaign id text", {"campaign_id": "1"}),
    ("sub id too long", {"sub1": "x" * 256}),
    ("sub id markup", {"sub2": "<script>"}),
    ("bad tag", {"tags": ["ok", ""]}),
    ("too many tags", {"tags": [f"t{i}" for i in range(51)]}),
    ("unknown field", {"status": "active"}),
    ("flag as text", {"is_redirect_link": "yes"}),
]


@pytest.mark.parametrize(("case", "changes"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_create_bodies_are_refused_and_nothing_is_written(api, partners, affiliate, sql, case, changes) -> None:
    body = {k: v for k, v in (partners.body() | changes).items() if v is not None}
    response = api.post(LINKS, json=body, headers=affiliate.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]
    assert count_links(sql) == 0 and sql("SELECT count(*) AS n FROM outbox") == [{"n": 0}]


def test_get_and_partial_update_from_either_side(api, partners, advertiser, affiliate, sql) -> None:
    link_id = add_link(sql, partners, sub1="a", description="keep me", tags='["x"]')
    assert api.get(f"{LINKS}/{link_id}", headers=affiliate.headers).json()["description"] == "keep me"
    response = api.put(f"{LINKS}/{link_id}", json={"name": "Renamed", "status": "paused", "tags": ["y", "z"],
                                                   "is_redirect_link": True}, headers=affiliate.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["status"], updated["tags"]) == ("Renamed", "paused", ["y", "z"])
    assert updated["description"] == "keep me" and updated["sub1"] == "a" and updated["is_redirect_link"] is True
    cleared = api.put(f"{LINKS}/{link_id}", json={"description": None}, headers=advertiser.headers).json()
    assert cleared["description"] is None
    [first, second] = events(sql, link_id)
    assert first["event_type"] == "tracking_link.updated" and first["payload"]["parameters_changed"] is False
    assert (first["aggregate_version"], second["aggregate_version"]) == (2, 3)
    entries = audit(sql, link_id)
    assert [e["action"] for e in entries] == ["tracking_link.update"] * 2
    assert entries[0]["changes"]["name"] == {"before": "Arranged link", "after": "Renamed"}
    assert entries[0]["organization_id"] == partners.advertiser_org


def test_an_update_that_changes_nothing_writes_nothing(api, partners, affiliate, sql) -> None:
    link_id = add_link(sql, partners, sub1="a")
    response = api.put(f"{LINKS}/{link_id}", json={"name": "Arranged link", "sub1": "a"}, headers=affiliate.headers)
    assert response.status_code == 200 and response.json()["updated_at"] == response.json()["created_at"]
    assert events(sql, link_id) == [] and audit(sql, link_id) == []


def test_sub_ids_may_not_clash_with_another_link(api, partners, affiliate, sql) -> None:
    add_link(sql, partners, sub1="taken")
    link_id = add_link(sql, partners, sub1="mine")
    response = api.put(f"{LINKS}/{link_id}", json={"sub1": "taken", "name": "New"}, headers=affiliate.headers)
    assert response.status_code == 409
    assert api.get(f"{LINKS}/{link_id}", headers=affiliate.headers).json()["name"] == "Arranged link"
    assert events(sql, link_id) == []


def test_archived_is_final_and_delete_archives(api, partners, advertiser, sql) -> None:
    link_id = add_link(sql, partners)
    assert api.delete(f"{LINKS}/{link_id}", headers=advertiser.headers).status_code == 204
    assert api.delete(f"{LINKS}/{link_id}", headers=advertiser.headers).status_code == 204
    assert api.get(f"{LINKS}/{link_id}", headers=advertiser.headers).json()["status"] == "archived"
    for change in ({"status": "active"}, {"name": "Back"}, {"sub1": "x"}):
        assert api.put(f"{LINKS}/{link_id}", json=change, headers=advertiser.headers).status_code == 409
    assert [e["event_type"] for e in events(sql, link_id)] == ["tracking_link.archived"]
    assert [e["action"] for e in audit(sql, link_id)] == ["tracking_link.archive"]
    recreate = api.post(LINKS, json=partners.body(), headers=advertiser.headers)
    assert recreate.status_code == 409 and count_links(sql) == 1


@pytest.mark.parametrize("body", [{"name": None}, {"status": "deleted"}, {"tags": None}, {"tracking_url": "x"},
                                  {"campaign_id": 2}])
def test_bad_update_bodies_are_refused(api, partners, affiliate, sql, body) -> None:
    link_id = add_link(sql, partners)
    assert api.put(f"{LINKS}/{link_id}", json=body, headers=affiliate.headers).status_code == 422
    assert events(sql, link_id) == []


def test_another_tenants_link_is_not_found(api, partners, sql, make_org, make_user) -> None:
    link_id = add_link(sql, partners)
    stranger = make_user(Role.AFFILIATE_MANAGER, make_org("affiliate"))
    assert api.get(f"{LINKS}/{link_id}", headers=stranger.headers).status_code == 404
    assert api.put(f"{LINKS}/{link_id}", json={"name": "Mine"}, headers=stranger.headers).status_code == 404
    assert api.delete(f"{LINKS}/{link_id}", headers=stranger.headers).status_code == 404
    assert api.get(f"{LINKS}/{link_id}", headers=make_user(Role.USER, partners.affiliate_org).headers
                   ).status_code == 200
