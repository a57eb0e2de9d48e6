"""Every write leaves an audit entry in its own transaction; each organization reads only its own."""

from __future__ import annotations

from shared.domain.roles import Role


def test_writes_are_audited_with_actor_changes_request_id_and_ip(api, make_user, make_org) -> None:
    org = make_org("advertiser", name="Old name")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    headers = {**manager.headers, "X-Request-Id": "req-audit-000001"}
    assert api.put(f"/api/v1/organizations/{org}", json={"name": "New name"}, headers=headers).ok
    entries = api.get("/api/v1/audit-log?entity_type=organization", headers=manager.headers).json()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "organization.update"
    assert entry["actor_id"] == str(manager.user_id)
    assert entry["organization_id"] == org
    assert entry["changes"] == {"name": {"before": "Old name", "after": "New name"}}
    assert entry["request_id"] == "req-audit-000001"
    assert entry["client_ip"] == "127.0.0.1"


def test_a_refused_write_leaves_no_audit_entry(api, make_user, make_org, sql) -> None:
    org = make_org("advertiser")
    user = make_user(Role.USER, org)
    assert api.put(f"/api/v1/organizations/{org}", json={"name": "X"}, headers=user.headers).status_code == 403
    assert api.post("/api/v1/public/organizations", json={"name": "<b>", "type": "agency"}).status_code == 422
    assert sql("SELECT count(*) AS n FROM audit_log") == [{"n": 0}]


def test_each_organization_reads_only_its_own_entries_and_admin_reads_all(api, make_user, make_org) -> None:
    first, second = make_org("advertiser"), make_org("affiliate")
    one = make_user(Role.ADVERTISER_MANAGER, first)
    two = make_user(Role.AFFILIATE_MANAGER, second)
    api.put(f"/api/v1/organizations/{first}", json={"description": "one"}, headers=one.headers)
    api.put(f"/api/v1/organizations/{second}", json={"description": "two"}, headers=two.headers)
    assert {e["organization_id"] for e in api.get("/api/v1/audit-log", headers=one.headers).json()} == {first}
    foreign = api.get(f"/api/v1/audit-log?organization_id={second}", headers=one.headers)
    assert foreign.json() == []
    admin = make_user(Role.ADMIN)
    everything = api.get("/api/v1/audit-log", headers=admin.headers)
    assert {e["organization_id"] for e in everything.json()} == {first, second}
    assert everything.headers["X-Total-Count"] == "2"


def test_users_cannot_read_the_audit_log(api, make_user, make_org) -> None:
    assert api.get("/api/v1/audit-log", headers=make_user(Role.USER, make_org()).headers).status_code == 403
