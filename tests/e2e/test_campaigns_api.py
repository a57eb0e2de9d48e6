"""The campaigns API over HTTP: fields, payout model, lifecycle, owners, lists, events and audit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.db.session import Session
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from tests.conftest import User

CAMPAIGNS = "/api/v1/campaigns"
URL = "https://shop.example/landing?tid={transaction_id}"


@dataclass(frozen=True)
class Shop:
    org: int
    advertiser: int
    manager: User


def add_advertiser(sql, org: int, status: str = "active") -> int:
    rows = sql("INSERT INTO advertisers (organization_id, name, status) VALUES (:org, 'Acme', :status)"
               " RETURNING advertiser_id", org=org, status=status)
    return int(rows[0]["advertiser_id"])


@pytest.fixture
def shop(make_org, make_user, sql) -> Shop:
    org = make_org("advertiser")
    return Shop(org, add_advertiser(sql, org), make_user(Role.ADVERTISER_MANAGER, org))


def create(api, shop: Shop, **fields) -> dict:
    body = {"organization_id": shop.org, "advertiser_id": shop.advertiser, "name": "Spring sale", **fields}
    response = api.post(CAMPAIGNS, json=body, headers=shop.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def count(sql, table: str = "campaigns") -> int:
    return int(sql(f"SELECT count(*) AS n FROM {table}")[0]["n"])


def events(sql, campaign_id: int) -> list[dict]:
    return sql("SELECT event_type, aggregate_version, organization_id, payload FROM outbox"
               " WHERE aggregate_type = 'campaign' AND aggregate_id = :id ORDER BY created_at",
               id=str(campaign_id))


def test_a_new_campaign_is_a_draft_with_the_databases_defaults_an_event_and_an_audit_entry(api, shop, sql) -> None:
    created = create(api, shop)
    assert {k: created[k] for k in ("status", "visibility", "currency_id", "conversion_method", "session_definition",
                                    "session_duration", "is_caps_enabled", "payout_type", "revenue_type",
                                    "billing_model", "version")} == {
        "status": "draft", "visibility": "public", "currency_id": "USD", "conversion_method": "server_postback",
        "session_definition": "cookie", "session_duration": 24, "is_caps_enabled": False, "payout_type": "cpa",
        "revenue_type": "rpa", "billing_model": "cpa", "version": 1}
    assert api.get(f"{CAMPAIGNS}/{created['campaign_id']}", headers=shop.manager.headers).json() == created
    [event] = events(sql, created["campaign_id"])
    assert (event["event_type"], event["aggregate_version"], event["organization_id"]) == (
        "campaign.created", 1, shop.org)
    assert event["payload"]["name"] == "Spring sale"
    audit = sql("SELECT action, changes FROM audit_log WHERE entity_type = 'campaign'")
    assert audit[0]["action"] == "campaign.create"
    assert audit[0]["changes"]["name"] == {"before": None, "after": "Spring sale"}


def test_every_field_is_stored_and_returned_exactly(api, shop, sql) -> None:
    fields = {
        "description": "All shoes -20%", "start_date": "2025-03-01", "end_date": "2025-03-31",
        "destination_url": URL, "thumbnail_url": "https://cdn.example/t.png", "preview_url": "https://shop.example",
        "visibility": "require_approval", "currency_id": "EUR", "internal_notes": "VIP", "conversion_method":
        "javascript", "session_definition": "idfa", "session_duration": 72, "terms_and_conditions": "No spam.",
        "is_caps_enabled": True, "daily_conversion_cap": 10, "weekly_conversion_cap": 50,
        "monthly_conversion_cap": 150, "global_conversion_cap": 1000, "daily_click_cap": 0, "weekly_click_cap": 7,
        "monthly_click_cap": 30, "global_click_cap": 365, "payout_type": "cpa_cps", "payout_amount": "19.99",
        "payout_percentage": 12.5, "revenue_type": "rpa_rps", "revenue_amount": 25, "revenue_percentage": 15,
    }
    created = create(api, shop, **fields)
    assert {k: created[k] for k in fields} == {**fields, "payout_amount": 19.99, "revenue_amount": 25.0}
    assert created["billing_model"] == "hybrid"
    assert (created["fixed_conversion_amount"], created["percentage_conversion_amount"],
            created["fixed_revenue"], created["fixed_click_amount"]) == (19.99, 12.5, 25.0, None)
    row = sql("SELECT payout_amount_cents, revenue_amount_cents, payout_percentage FROM campaigns")[0]
    assert (row["payout_amount_cents"], row["revenue_amount_cents"], str(row["payout_percentage"])) == (
        1999, 2500, "12.50")


def test_the_originals_fields_and_values_are_accepted_and_translated(api, shop) -> None:
    created = create(api, shop, fixed_click_amount=0.35, fixed_revenue=2, conversion_method="pixel",
                     session_definition="fingerprint", start_date="2025-03-01T00:00:00Z",
                     end_date="2025-04-01T23:59:59+02:00")
    assert (created["payout_type"], created["payout_amount"], created["revenue_type"], created["revenue_amount"]) == (
        "cpc", 0.35, "rpa", 2.0)
    assert (created["fixed_click_amount"], created["fixed_revenue"], created["billing_model"]) == (0.35, 2.0, "cpc")
    assert (created["conversion_method"], created["session_definition"]) == ("https_image_pixel", "ip_user_agent")
    assert (created["start_date"], created["end_date"]) == ("2025-03-01", "2025-04-01")
    percentage = create(api, shop, percentage_conversion_amount=30)
    assert (percentage["payout_type"], percentage["payout_percentage"], percentage["billing_model"]) == (
        "cps", 30.0, "percentage")


def test_put_is_partial_and_clears_only_what_it_names(api, shop, sql) -> None:
    created = create(api, shop, description="Old", internal_notes="keep", payout_type="cpa", payout_amount=5)
    path = f"{CAMPAIGNS}/{created['campaign_id']}"
    updated = api.put(path, json={"description": None, "percentage_conversion_amount": 20},
                      headers=shop.manager.headers).json()
    assert (updated["description"], updated["internal_notes"], updated["name"]) == (None, "keep", "Spring sale")
    assert (updated["payout_type"], updated["payout_amount"], updated["payout_percentage"]) == ("cpa_cps", 5.0, 20.0)
    assert updated["version"] == 2
    assert [e["event_type"] for e in events(sql, created["campaign_id"])] == ["campaign.created", "campaign.updated"]
    audit = sql("SELECT changes FROM audit_log WHERE action = 'campaign.update'")[0]["changes"]
    assert set(audit) == {"description", "payout_type", "payout_percentage"}


def test_a_put_that_changes_nothing_writes_nothing(api, shop, sql) -> None:
    created = create(api, shop, description="Same")
    same = api.put(f"{CAMPAIGNS}/{created['campaign_id']}", json={"description": "Same", "name": "Spring sale",
                                                                  "organization_id": shop.org},
                   headers=shop.manager.headers)
    assert same.json()["version"] == 1
    assert len(events(sql, created["campaign_id"])) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"name": None}, "name"), ({"visibility": None}, "visibility"), ({"payout_amount": None}, "payout_amount"),
    ({"organization_id": 999}, "organization_id"), ({"advertiser_id": 999}, "advertiser_id"),
    ({"end_date": "2020-01-01", "start_date": "2020-02-01"}, "end_date"),
    ({"payout_type": "cps"}, "payout_percentage"),
])
def test_a_bad_put_is_refused_and_changes_nothing(api, shop, sql, body, field) -> None:
    created = create(api, shop)
    response = api.put(f"{CAMPAIGNS}/{created['campaign_id']}", json=body, headers=shop.manager.headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert api.get(f"{CAMPAIGNS}/{created['campaign_id']}", headers=shop.manager.headers).json() == created
    assert len(events(sql, created["campaign_id"])) == 1


BAD_CREATES = [
    ("end before start", {"start_date": "2025-02-01", "end_date": "2025-01-01"}, "end_date"),
    ("cps with an amount", {"payout_type": "cps", "payout_amount": 1, "payout_percentage": 5}, "payout_amount"),
    ("cps without a percentage", {"payout_type": "cps"}, "payout_percentage"),
    ("rpa_rps without both", {"revenue_type": "rpa_rps", "revenue_amount": 1}, "revenue_percentage"),
    ("percentage over 100", {"payout_type": "cps", "payout_percentage": 100.5}, "payout_percentage"),
    ("three decimals", {"payout_amount": 1.005}, "payout_amount"),
    ("negative amount", {"fixed_revenue": -1}, "fixed_revenue"),
    ("click with conversion", {"fixed_click_amount": 1, "fixed_conversion_amount": 2}, "fixed_click_amount"),
    ("mixed models", {"payout_type": "cpc", "fixed_click_amount": 1}, "fixed_click_amount"),
    ("negative cap", {"daily_click_cap": -1}, "daily_click_cap"),
    ("cap as text", {"daily_click_cap": "3"}, "daily_click_cap"),
    ("unknown conversion method", {"conversion_method": "hybrid"}, "conversion_method"),
    ("unknown session definition", {"session_definition": "mac"}, "session_definition"),
    ("zero session hours", {"session_duration": 0}, "session_duration"),
    ("bad visibility", {"visibility": "secret"}, "visibility"),
    ("bad currency", {"currency_id": "usd"}, "currency_id"),
    ("bad url", {"destination_url": "javascript:alert(1)"}, "destination_url"),
    ("bad date", {"start_date": "2025-02-30"}, "start_date"),
    ("created paused", {"status": "paused"}, "status"),
    ("active without a url", {"status": "active"}, "destination_url"),
    ("blank name", {"name": "  "}, "name"),
    ("unknown field", {"billing_model": "cpa"}, "billing_model"),
]


@pytest.mark.parametrize(("case", "fields", "field"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_input_is_a_clear_422_and_writes_nothing(api, shop, sql, case, fields, field) -> None:
    body = {"organization_id": shop.org, "advertiser_id": shop.advertiser, "name": "Spring sale", **fields}
    response = api.post(CAMPAIGNS, json=body, headers=shop.manager.headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert (count(sql), count(sql, "outbox"), count(sql, "audit_log")) == (0, 0, 0)


def test_the_advertiser_must_be_visible_belong_to_the_organization_and_not_be_archived(
        api, shop, make_org, make_user, sql) -> None:
    other_org = make_org("advertiser")
    foreign = add_advertiser(sql, other_org)
    body = {"organization_id": shop.org, "advertiser_id": foreign, "name": "X"}
    assert api.post(CAMPAIGNS, json=body, headers=shop.manager.headers).status_code == 404
    admin = make_user(Role.ADMIN)
    mismatch = api.post(CAMPAIGNS, json=body, headers=admin.headers)
    assert mismatch.status_code == 422
    assert mismatch.json()["error"]["details"][0]["field"] == "advertiser_id"
    foreign_org = {**body, "organization_id": other_org}
    assert api.post(CAMPAIGNS, json=foreign_org, headers=shop.manager.headers).status_code == 404
    archived = add_advertiser(sql, shop.org, status="archived")
    gone = api.post(CAMPAIGNS, json={**body, "advertiser_id": archived}, headers=shop.manager.headers)
    assert gone.status_code == 409
    assert "archived" in gone.json()["error"]["message"]
    missing = api.post(CAMPAIGNS, json={**body, "advertiser_id": 987654}, headers=admin.headers)
    assert missing.status_code == 404
    assert count(sql) == 0


def test_the_lifecycle_through_the_status_routes_with_events(api, shop, sql) -> None:
    campaign_id = create(api, shop, destination_url=URL)["campaign_id"]
    path, headers = f"{CAMPAIGNS}/{campaign_id}", shop.manager.headers
    assert api.post(f"{path}/activate", headers=headers).json()["status"] == "active"
    assert api.post(f"{path}/activate", headers=headers).json()["version"] == 2  # already active: no change
    refused = api.delete(path, headers=headers)
    assert refused.status_code == 409
    assert "Pause it first" in refused.json()["error"]["message"]
    assert api.post(f"{path}/pause", headers=headers).json()["status"] == "paused"
    assert api.delete(path, headers=headers).status_code == 204
    assert api.delete(path, headers=headers).status_code == 204  # archiving twice is harmless
    archived = api.get(path, headers=headers).json()
    assert (archived["status"], archived["version"], archived["archived_at"] is not None) == ("archived", 4, True)
    for verb in ("activate", "pause"):
        assert api.post(f"{path}/{verb}", headers=headers).status_code == 409
    assert api.put(path, json={"name": "Back"}, headers=headers).status_code == 409
    rows = events(sql, campaign_id)
    assert [(e["event_type"], e["aggregate_version"]) for e in rows] == [
        ("campaign.created", 1), ("campaign.status_changed", 2), ("campaign.status_changed", 3),
        ("campaign.archived", 4)]
    assert rows[2]["payload"]["previous_status"] == "active"
    actions = [r["action"] for r in sql("SELECT action FROM audit_log ORDER BY audit_id")]
    assert actions == ["campaign.create", "campaign.status_change", "campaign.status_change", "campaign.archive"]


def test_status_in_a_put_follows_the_same_rules(api, shop) -> None:
    created = create(api, shop)
    path, headers = f"{CAMPAIGNS}/{created['campaign_id']}", shop.manager.headers
    invalid = api.put(path, json={"status": "paused"}, headers=headers)
    assert invalid.status_code == 409
    assert invalid.json()["error"]["message"] == (
        "The campaign is draft and cannot become paused (it can become: active, archived).")
    assert api.put(path, json={"status": "active"}, headers=headers).status_code == 422  # no destination_url
    live = api.put(path, json={"status": "active", "destination_url": URL}, headers=headers).json()
    assert (live["status"], live["destination_url"]) == ("active", URL)
    assert api.put(path, json={"destination_url": None}, headers=headers).status_code == 422
    assert api.post(CAMPAIGNS, json={"organization_id": created["organization_id"], "advertiser_id":
                                     created["advertiser_id"], "name": "Live", "status": "active",
                                     "destination_url": URL}, headers=headers).json()["status"] == "active"


def test_a_campaign_of_an_archived_advertiser_cannot_be_activated(api, shop, sql) -> None:
    campaign_id = create(api, shop, destination_url=URL)["campaign_id"]
    sql("UPDATE advertisers SET status = 'archived' WHERE advertiser_id = :id RETURNING status", id=shop.advertiser)
    response = api.post(f"{CAMPAIGNS}/{campaign_id}/activate", headers=shop.manager.headers)
    assert response.status_code == 409
    assert api.post(f"{CAMPAIGNS}/{campaign_id}/archive", headers=shop.manager.headers).json()["status"] == "archived"


def test_another_tenants_campaign_is_404_for_every_verb(api, shop, make_org, make_user) -> None:
    campaign_id = create(api, shop)["campaign_id"]
    stranger = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    path = f"{CAMPAIGNS}/{campaign_id}"
    for method, suffix, body in [("GET", "", None), ("PUT", "", {"name": "X"}), ("DELETE", "", None),
                                 ("POST", "/activate", None), ("POST", "/pause", None), ("POST", "/archive", None)]:
        assert api.request(method, path + suffix, json=body, headers=stranger.headers).status_code == 404
    assert api.get(f"{CAMPAIGNS}/987654", headers=make_user(Role.ADMIN).headers).status_code == 404
    assert api.get(path, headers=shop.manager.headers).json()["name"] == "Spring sale"


def test_lists_filter_search_sort_and_page_with_a_correct_total(api, shop, sql) -> None:
    names = ["Alpha 100%", "beta", "Gamma", "Delta_1", "Epsilon"]
    ids = [create(api, shop, name=n, visibility="private" if n == "beta" else "public")["campaign_id"] for n in names]
    api.post(f"{CAMPAIGNS}/{ids[4]}/archive", headers=shop.manager.headers)
    org_list = f"/api/v1/organizations/{shop.org}/campaigns"
    body = api.get(f"{org_list}?page=2&page_size=2&sort_by=name&sort_order=asc", headers=shop.manager.headers)
    assert body.json()["total"] == 4
    assert (body.json()["page"], body.json()["page_size"]) == (2, 2)
    assert [c["name"] for c in body.json()["campaigns"]] == ["Delta_1", "Gamma"]
    assert body.headers["X-Total-Count"] == "4"

    def get(query: str) -> list[str]:
        return [c["name"] for c in api.get(f"{org_list}?{query}", headers=shop.manager.headers).json()["campaigns"]]

    assert get("visibility=private") == ["beta"]
    assert get("search=0%25") == ["Alpha 100%"]
    assert get("search=a_") == ["Delta_1"]
    assert get("status=archived") == ["Epsilon"]
    assert len(get("include_archived=true&pageSize=3")) == 3
    assert get("sort_by=campaign_id&sort_order=desc")[0] == "Delta_1"
    assert api.get(f"{org_list}?sort_by=internal_notes", headers=shop.manager.headers).status_code == 422
    assert api.get(f"{org_list}?page=0", headers=shop.manager.headers).status_code == 422
    beyond = api.get(f"{org_list}?page=9&page_size=2", headers=shop.manager.headers).json()
    assert (beyond["campaigns"], beyond["total"]) == ([], 4)


def test_the_advertiser_list_shows_only_that_advertisers_campaigns(api, shop, make_org, make_user, sql) -> None:
    other = add_advertiser(sql, shop.org)
    create(api, shop, name="Mine")
    create(api, Shop(shop.org, other, shop.manager), name="Other")
    listed = api.get(f"/api/v1/advertisers/{shop.advertiser}/campaigns", headers=shop.manager.headers).json()
    assert ([c["name"] for c in listed["campaigns"]], listed["total"]) == (["Mine"], 1)
    stranger = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    assert api.get(f"/api/v1/advertisers/{shop.advertiser}/campaigns", headers=stranger.headers).status_code == 404
    assert api.get(f"/api/v1/organizations/{shop.org}/campaigns", headers=stranger.headers).status_code == 404
    user = make_user(Role.USER, shop.org)
    assert api.get(f"/api/v1/organizations/{shop.org}/campaigns", headers=user.headers).json()["total"] == 2
    assert api.post(f"{CAMPAIGNS}", json={}, headers=user.headers).status_code == 403


@pytest.mark.parametrize("owner", ["organizations", "advertisers"])
def test_a_list_runs_the_same_number_of_queries_for_1_or_100_rows(api, shop, monkeypatch, owner) -> None:
    for n in range(101):
        create(api, shop, name=f"Campaign {n}")
    owner_id = shop.org if owner == "organizations" else shop.advertiser
    path = f"/api/v1/{owner}/{owner_id}/campaigns"
    local_bus().wait_idle(60)  # background syncs of the rows just made are not the list's queries
    api.get(path, headers=shop.manager.headers)  # the caller's profile is cached from here on
    counted: list[str] = []
    original = Session._run

    def counting(self, sql, params):  # the live server runs in this process: every query passes here
        counted.append(sql)
        return original(self, sql, params)


    monkeypatch.setattr(Session, "_run", counting)
    queries = {}
    for size in (1, 100):
        counted.clear()
        listed = api.get(f"{path}?page_size={size}", headers=shop.manager.headers).json()
        assert (len(listed["campaigns"]), listed["total"]) == (size, 101)
        queries[size] = len(counted)
    assert queries[1] == queries[100] == 5  # begin, the owner's visibility, the page, its capped count, rollback
