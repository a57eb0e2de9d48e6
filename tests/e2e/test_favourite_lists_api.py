"""Favourite publisher lists over HTTP: the original's envelopes, one organization's lists, the status rule."""

from __future__ import annotations

import itertools

import pytest

from shared.domain.roles import Role
from tests.e2e.partners import Side, new_side

BASE = "/api/v1/favorite-publisher-lists"
STATUSES = ("added", "contacted", "accepted")
ALLOWED = {("added", "contacted"), ("contacted", "accepted"), ("contacted", "added"), ("accepted", "contacted")}


@pytest.fixture
def mine(make_org, make_user) -> Side:
    return new_side(make_org, make_user, "advertiser")


@pytest.fixture
def theirs(make_org, make_user) -> Side:
    return new_side(make_org, make_user, "affiliate")


def new_list(api, tenant: Side, name: str = "Shortlist", **extra) -> dict:
    response = api.post(BASE, json={"name": name, **extra}, headers=tenant.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def add(api, tenant: Side, list_id: int, domain: str, **extra):
    return api.post(f"{BASE}/{list_id}/publishers", json={"publisher_domain": domain, **extra},
                    headers=tenant.manager.headers)


def patch_status(api, tenant: Side, list_id: int, domain: str, status: str):
    return api.request("PATCH", f"{BASE}/{list_id}/publishers/{domain}/status", json={"status": status},
                       headers=tenant.manager.headers)


def test_a_list_is_created_read_renamed_listed_and_deleted_in_the_original_envelope(api, mine) -> None:
    created = api.post(BASE, json={"name": "  Tech blogs ", "description": "For Q3"}, headers=mine.manager.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["message"] == "Favorite publisher list created successfully"
    data = body["data"]
    assert (data["name"], data["description"], data["organization_id"], data["publisher_count"]) == (
        "Tech blogs", "For Q3", mine.org, 0)
    one = f"{BASE}/{data['list_id']}"
    assert api.get(one, headers=mine.manager.headers).json()["data"] == data

    renamed = api.put(one, json={"name": "Tech"}, headers=mine.manager.headers)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["data"]["name"], renamed.json()["data"]["description"]) == ("Tech", "For Q3")
    cleared = api.put(one, json={"description": None}, headers=mine.manager.headers).json()["data"]
    assert cleared["description"] is None

    new_list(api, mine, "Newer")
    listed = api.get(BASE, headers=mine.manager.headers)
    assert listed.status_code == 200
    assert [entry["name"] for entry in listed.json()["data"]] == ["Newer", "Tech"]
    assert listed.headers["X-Total-Count"] == "2"

    deleted = api.delete(one, headers=mine.manager.headers)
    assert (deleted.status_code, deleted.json()) == (200, {"message": "Favorite publisher list deleted successfully"})
    assert api.get(one, headers=mine.manager.headers).status_code == 404


def test_list_names_are_unique_per_organization_whatever_their_case(api, mine, theirs) -> None:
    first = new_list(api, mine, "Shortlist")
    again = api.post(BASE, json={"name": "SHORTLIST"}, headers=mine.manager.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    new_list(api, theirs, "Shortlist")  # another organization may use the name
    other = new_list(api, mine, "Other")
    clash = api.put(f"{BASE}/{other['list_id']}", json={"name": "shortlist"}, headers=mine.manager.headers)
    assert clash.status_code == 409
    assert api.get(f"{BASE}/{first['list_id']}", headers=mine.manager.headers).json()["data"]["name"] == "Shortlist"


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "<b>x</b>"}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"name": "ok", "description": "d" * 1001}, "description"),
    ({"name": "ok", "owner": 1}, "owner"),
    ({}, "name"),
])
def test_invalid_lists_are_refused_field_by_field(api, mine, body, field) -> None:
    response = api.post(BASE, json=body, headers=mine.manager.headers)
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


def test_a_publisher_is_added_once_per_list_in_its_normal_form_and_listed_newest_first(api, mine) -> None:
    favourite = new_list(api, mine)
    list_id = favourite["list_id"]
    first = add(api, mine, list_id, " News.Example. ", notes="Big audience")
    assert first.status_code == 201, first.text
    assert first.json()["message"] == "Publisher added to list successfully"
    item = first.json()["data"]
    assert (item["publisher_domain"], item["notes"], item["status"]) == ("news.example", "Big audience", "added")
    assert item["updated_at"] == item["added_at"]
    assert add(api, mine, list_id, "NEWS.example").status_code == 409
    assert add(api, mine, list_id, "blog.example", status="contacted").json()["data"]["status"] == "contacted"
    for bad in ("not a domain", "example", "-x.example", "a/b.example", "x" * 250 + ".example"):
        refused = add(api, mine, list_id, bad)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["details"][0]["field"] == "publisher_domain"
    assert add(api, mine, list_id, "x.example", status="rejected").status_code == 422

    listed = api.get(f"{BASE}/{list_id}/publishers", headers=mine.manager.headers)
    assert listed.status_code == 200
    assert [i["publisher_domain"] for i in listed.json()["data"]] == ["blog.example", "news.example"]
    assert all(i["publisher"] is None for i in listed.json()["data"])
    assert api.get(f"{BASE}/{list_id}", headers=mine.manager.headers).json()["data"]["publisher_count"] == 2
    page = api.get(f"{BASE}/{list_id}/publishers?page=2&page_size=1", headers=mine.manager.headers)
    assert [i["publisher_domain"] for i in page.json()["data"]] == ["news.example"]
    assert (page.headers["X-Total-Count"], page.headers["X-Page-Size"]) == ("2", "1")
    capped = api.get(f"{BASE}/{list_id}/publishers?page_size=500", headers=mine.manager.headers)
    assert capped.headers["X-Page-Size"] == "100"


@pytest.mark.parametrize(("start", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_status_moves_only_along_the_rule(api, mine, sql, start, target) -> None:
    list_id = new_list(api, mine)["list_id"]
    add(api, mine, list_id, "pub.example", status=start)
    response = patch_status(api, mine, list_id, "pub.example", target)
    stored = sql("SELECT status FROM favorite_publisher_list_items")[0]["status"]
    if start == target or (start, target) in ALLOWED:
        assert response.status_code == 200, response.text
        assert response.json()["message"] == "Publisher status updated successfully"
        assert response.json()["data"]["status"] == stored == target
    else:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_status_transition"
        assert error["details"] == {"current_status": start, "requested_status": target}
        assert stored == start


def test_a_status_outside_the_three_is_a_validation_error(api, mine) -> None:
    list_id = new_list(api, mine)["list_id"]
    add(api, mine, list_id, "pub.example")
    response = patch_status(api, mine, list_id, "pub.example", "rejected")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_notes_are_updated_and_a_removed_publisher_is_gone(api, mine, sql) -> None:
    list_id = new_list(api, mine)["list_id"]
    add(api, mine, list_id, "pub.example", notes="first")
    path = f"{BASE}/{list_id}/publishers/PUB.example"
    updated = api.put(path, json={"notes": "second"}, headers=mine.manager.headers)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["message"], updated.json()["data"]["notes"]) == ("Publisher notes updated successfully",
                                                                             "second")
    row = sql("SELECT notes, added_at, updated_at FROM favorite_publisher_list_items")[0]
    assert row["notes"] == "second" and row["updated_at"] > row["added_at"]
    assert api.put(path, json={"notes": "x" * 1001}, headers=mine.manager.headers).status_code == 422
    removed = api.delete(path, headers=mine.manager.headers)
    assert (removed.status_code, removed.json()["message"]) == (200, "Publisher removed from list successfully")
    for response in (api.delete(path, headers=mine.manager.headers),
                     api.put(path, json={"notes": "x"}, headers=mine.manager.headers),
                     patch_status(api, mine, list_id, "pub.example", "contacted"),
                     api.delete(f"{BASE}/{list_id}/publishers/not%20a%20domain", headers=mine.manager.headers)):
        assert response.status_code == 404


def test_include_details_joins_the_publishers_intelligence_record(api, mine, sql) -> None:
    sql("INSERT INTO analytics_publishers (domain, relevance, traffic_score, known, description)"
        " VALUES ('known.example', 87.5, 1200, true, 'A known publisher')")
    list_id = new_list(api, mine)["list_id"]
    add(api, mine, list_id, "known.example")
    add(api, mine, list_id, "unknown.example")
    items = api.get(f"{BASE}/{list_id}/publishers?include_details=true", headers=mine.manager.headers).json()["data"]
    details = {i["publisher_domain"]: i["publisher"] for i in items}
    assert details["unknown.example"] is None
    known = details["known.example"]
    assert (known["domain"], known["relevance"], known["trafficScore"], known["known"]) == (
        "known.example", 87.5, 1200.0, {"value": True})


def test_search_finds_only_the_organizations_lists_holding_the_domain(api, mine, theirs) -> None:
    holding = new_list(api, mine, "B holds it")
    also = new_list(api, mine, "a holds it too")
    new_list(api, mine, "Empty")
    foreign = new_list(api, theirs, "Theirs")
    for favourite, tenant in ((holding, mine), (also, mine), (foreign, theirs)):
        assert add(api, tenant, favourite["list_id"], "pub.example").status_code == 201
    found = api.get(f"{BASE}/search?domain=PUB.example", headers=mine.manager.headers)
    assert found.status_code == 200, found.text
    assert [f["name"] for f in found.json()["data"]] == ["a holds it too", "B holds it"]
    assert all(f["publisher_count"] == 1 for f in found.json()["data"])
    assert api.get(f"{BASE}/search", headers=mine.manager.headers).status_code == 422
    assert api.get(f"{BASE}/search?domain=nope", headers=mine.manager.headers).status_code == 422


def test_another_organizations_list_answers_404_on_every_route(api, mine, theirs, sql) -> None:
    list_id = new_list(api, theirs)["list_id"]
    add(api, theirs, list_id, "pub.example")
    one, item = f"{BASE}/{list_id}", f"{BASE}/{list_id}/publishers/pub.example"
    h = mine.manager.headers
    for response in (
        api.get(one, headers=h), api.put(one, json={"name": "Mine now"}, headers=h), api.delete(one, headers=h),
        api.get(f"{one}/publishers", headers=h), add(api, mine, list_id, "other.example"),
        api.put(item, json={"notes": "x"}, headers=h), patch_status(api, mine, list_id, "pub.example", "contacted"),
        api.delete(item, headers=h), api.post(BASE + f"?organization_id={theirs.org}", json={"name": "x"}, headers=h),
        api.get(BASE + f"?organization_id={theirs.org}", headers=h),
    ):
        assert response.status_code == 404, response.text
    assert api.get(f"{BASE}/search?domain=pub.example", headers=h).json()["data"] == []
    assert sql("SELECT name FROM favorite_publisher_lists") == [{"name": "Shortlist"}]
    assert sql("SELECT status, notes FROM favorite_publisher_list_items") == [{"status": "added", "notes": None}]


def test_administrators_act_on_a_named_organization(api, mine, make_user) -> None:
    admin = make_user(Role.ADMIN)
    created = api.post(f"{BASE}?organization_id={mine.org}", json={"name": "Made by admin"}, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["organization_id"] == mine.org
    assert [f["name"] for f in api.get(BASE, headers=mine.manager.headers).json()["data"]] == ["Made by admin"]
    assert api.get(f"{BASE}?organization_id={mine.org}", headers=admin.headers).headers["X-Total-Count"] == "1"
    assert api.get(BASE, headers=admin.headers).status_code == 404  # no organization of their own
    assert api.get(f"{BASE}?organization_id=999999", headers=admin.headers).status_code == 404


def test_users_read_and_other_roles_are_refused(api, mine, make_user) -> None:
    list_id = new_list(api, mine)["list_id"]
    user = make_user(Role.USER, mine.org)
    assert api.get(f"{BASE}/{list_id}/publishers", headers=user.headers).status_code == 200
    assert api.post(BASE, json={"name": "No"}, headers=user.headers).status_code == 403
    agency = make_user(Role.AGENCY_MANAGER, mine.org)
    assert api.get(BASE, headers=agency.headers).status_code == 403
    assert api.get(BASE).status_code == 401


def test_every_write_is_audited_with_its_actor(api, mine, sql) -> None:
    list_id = new_list(api, mine)["list_id"]
    add(api, mine, list_id, "pub.example")
    api.put(f"{BASE}/{list_id}/publishers/pub.example", json={"notes": "n"}, headers=mine.manager.headers)
    patch_status(api, mine, list_id, "pub.example", "contacted")
    patch_status(api, mine, list_id, "pub.example", "contacted")  # no change: nothing to audit
    api.delete(f"{BASE}/{list_id}/publishers/pub.example", headers=mine.manager.headers)
    api.put(f"{BASE}/{list_id}", json={"name": "Renamed"}, headers=mine.manager.headers)
    api.delete(f"{BASE}/{list_id}", headers=mine.manager.headers)
    rows = sql("SELECT action, actor_id, organization_id, changes FROM audit_log"
               " WHERE action LIKE 'favorite_list.%' ORDER BY audit_id")
    assert [r["action"] for r in rows] == [
        "favorite_list.create", "favorite_list.add_publisher", "favorite_list.update_publisher",
        "favorite_list.change_status", "favorite_list.remove_publisher", "favorite_list.update",
        "favorite_list.delete"]
    assert {str(r["actor_id"]) for r in rows} == {str(mine.manager.user_id)}
    assert {r["organization_id"] for r in rows} == {mine.org}
    assert rows[3]["changes"]["status"] == {"before": "added", "after": "contacted"}
