"""Profiles over HTTP: who may create and change whom, and every escalation attempt refused."""

from __future__ import annotations

import uuid

import pytest

from shared.auth.tokens import issue
from shared.domain.roles import Role
from tests.conftest import JWT_SECRET

PROFILES = "/api/v1/profiles"


def new_member(org: int | None, role: Role = Role.USER, **extra: object) -> dict[str, object]:
    user_id = uuid.uuid4()
    return {"id": str(user_id), "organization_id": org, "role_id": int(role), "email": f"{user_id}@member.test",
            **extra}


def stored(sql, user_id) -> dict[str, object] | None:
    rows = sql("SELECT role_id, organization_id, email, first_name FROM profiles WHERE id = CAST(:id AS UUID)",
               id=str(user_id))
    return rows[0] if rows else None


def test_me_returns_the_callers_profile_with_its_role_name(api, make_user, make_org) -> None:
    org = make_org("affiliate")
    user = make_user(Role.AFFILIATE_MANAGER, org)
    me = api.get("/api/v1/users/me", headers=user.headers).json()
    assert (me["id"], me["role_id"], me["role_name"], me["organization_id"]) == (
        str(user.user_id), 1001, "AffiliateManager", org)


def test_me_without_a_profile_is_404_and_the_user_may_create_their_own(api, sql) -> None:
    user_id = uuid.uuid4()
    token = issue(user_id, JWT_SECRET, email="new@person.test")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/users/me", headers=headers).status_code == 404
    assert api.get("/api/v1/organizations", headers=headers).status_code == 401
    created = api.post(PROFILES, json={"role_id": 100000, "email": "new@person.test", "first_name": "Ada"},
                       headers=headers)
    assert created.status_code == 201, created.text
    assert stored(sql, user_id) == {"role_id": 100000, "organization_id": None, "email": "new@person.test",
                                    "first_name": "Ada"}
    assert api.get("/api/v1/users/me", headers=headers).json()["first_name"] == "Ada"


@pytest.mark.parametrize("body", [
    {"role_id": 1, "email": "new@person.test"},
    {"role_id": 1000, "email": "new@person.test", "organization_id": 1},
    {"role_id": 100000, "email": "someone.else@person.test"},
    {"role_id": 100000, "email": "new@person.test", "id": str(uuid.uuid4())},
])
def test_self_provisioning_cannot_grant_power(api, sql, body) -> None:
    headers = {"Authorization": f"Bearer {issue(uuid.uuid4(), JWT_SECRET, email='new@person.test')}"}
    assert api.post(PROFILES, json=body, headers=headers).status_code == 403
    assert sql("SELECT count(*) AS n FROM profiles") == [{"n": 0}]


def test_a_user_edits_their_own_names_only(api, make_user, make_org, sql) -> None:
    org = make_org("advertiser")
    user = make_user(Role.USER, org)
    url = f"{PROFILES}/{user.user_id}"
    assert api.put(url, json={"first_name": "Grace"}, headers=user.headers).status_code == 200
    for escalation in ({"role_id": 1000}, {"role_id": 1}, {"organization_id": make_org("advertiser")},
                       {"organization_id": None}, {"email": "other@x.test"}):
        assert api.put(url, json=escalation, headers=user.headers).status_code == 403, escalation
    assert stored(sql, user.user_id)["role_id"] == 100000
    assert stored(sql, user.user_id)["organization_id"] == org


def test_a_manager_cannot_raise_their_own_role_even_through_upsert(api, make_user, make_org, sql) -> None:
    org = make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    body = {"id": str(manager.user_id), "organization_id": org, "role_id": 1, "email": f"{manager.user_id}@test.local"}
    assert api.post(f"{PROFILES}/upsert", json=body, headers=manager.headers).status_code == 403
    assert api.put(f"{PROFILES}/{manager.user_id}", json={"role_id": 2}, headers=manager.headers).status_code == 403
    assert stored(sql, manager.user_id)["role_id"] == 1000


def test_a_manager_adds_members_to_their_own_organization_only(api, make_user, make_org, sql) -> None:
    org, other = make_org("advertiser"), make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    member = new_member(org)
    assert api.post(PROFILES, json=member, headers=manager.headers).status_code == 201
    peer = new_member(org, Role.ADVERTISER_MANAGER)
    assert api.post(PROFILES, json=peer, headers=manager.headers).status_code == 201
    assert api.post(PROFILES, json=new_member(other), headers=manager.headers).status_code in (403, 404)
    assert api.post(PROFILES, json=new_member(org, Role.ADMIN), headers=manager.headers).status_code == 403
    assert api.post(PROFILES, json=new_member(org, Role.PLATFORM_OWNER), headers=manager.headers).status_code == 403
    wrong_kind = new_member(org, Role.AFFILIATE_MANAGER)
    assert api.post(PROFILES, json=wrong_kind, headers=manager.headers).status_code == 422
    assert stored(sql, wrong_kind["id"]) is None


def test_a_manager_cannot_touch_members_of_another_organization(api, make_user, make_org, sql) -> None:
    org, other = make_org("advertiser"), make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    stranger = make_user(Role.USER, other)
    url = f"{PROFILES}/{stranger.user_id}"
    assert api.put(url, json={"first_name": "Pwned"}, headers=manager.headers).status_code == 404
    assert api.put(url, json={"organization_id": org}, headers=manager.headers).status_code == 404
    assert api.delete(url, headers=manager.headers).status_code == 404
    assert stored(sql, stranger.user_id)["organization_id"] == other


def test_a_manager_cannot_demote_or_remove_a_platform_admin_in_their_org(api, make_user, make_org, sql) -> None:
    org = make_org("platform_owner")
    owner = make_user(Role.PLATFORM_OWNER, org)
    admin = make_user(Role.ADMIN, org)
    assert api.put(f"{PROFILES}/{admin.user_id}", json={"role_id": 100000}, headers=owner.headers).status_code == 403
    assert api.delete(f"{PROFILES}/{admin.user_id}", headers=owner.headers).status_code == 403
    assert stored(sql, admin.user_id)["role_id"] == 1


def test_admin_moves_a_user_between_organizations_with_a_fitting_role(api, make_user, make_org, sql) -> None:
    source, target = make_org("advertiser"), make_org("affiliate")
    admin = make_user(Role.ADMIN)
    member = make_user(Role.ADVERTISER_MANAGER, source)
    url = f"{PROFILES}/{member.user_id}"
    assert api.put(url, json={"organization_id": target}, headers=admin.headers).status_code == 422
    moved = api.put(url, json={"organization_id": target, "role_id": 1001}, headers=admin.headers)
    assert moved.status_code == 200
    assert stored(sql, member.user_id)["organization_id"] == target


def test_a_role_change_applies_to_the_next_request(api, make_user, make_org) -> None:
    org = make_org("advertiser")
    admin = make_user(Role.ADMIN)
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    assert api.put(f"/api/v1/organizations/{org}", json={"name": "Still mine"}, headers=manager.headers).ok
    api.put(f"{PROFILES}/{manager.user_id}", json={"role_id": 100000}, headers=admin.headers)
    # the demotion happened in this same instance, which forgets its cached principal at once
    assert api.put(f"/api/v1/organizations/{org}", json={"name": "No"}, headers=manager.headers).status_code == 403


def test_duplicate_email_is_a_conflict(api, make_user, make_org) -> None:
    org = make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    first = new_member(org)
    assert api.post(PROFILES, json=first, headers=manager.headers).status_code == 201
    second = new_member(org, email=str(first["email"]).upper())
    assert api.post(PROFILES, json=second, headers=manager.headers).status_code == 409


def test_users_and_strangers_cannot_delete_profiles(api, make_user, make_org, sql) -> None:
    org = make_org("advertiser")
    victim = make_user(Role.USER, org)
    assert api.delete(f"{PROFILES}/{victim.user_id}", headers=make_user(Role.USER, org).headers).status_code == 403
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    assert api.delete(f"{PROFILES}/{manager.user_id}", headers=manager.headers).status_code == 403
    assert api.delete(f"{PROFILES}/{victim.user_id}", headers=manager.headers).status_code == 204
    assert stored(sql, victim.user_id) is None


def test_creating_an_organization_makes_a_user_without_one_its_manager(api, sql) -> None:
    user_id = uuid.uuid4()
    headers = {"Authorization": f"Bearer {issue(user_id, JWT_SECRET, email='founder@agency.test')}"}
    api.post(PROFILES, json={"role_id": 100000, "email": "founder@agency.test"}, headers=headers)
    org = api.post("/api/v1/organizations", json={"name": "Founders", "type": "agency"}, headers=headers).json()
    assert stored(sql, user_id)["role_id"] == 1002
    assert stored(sql, user_id)["organization_id"] == org["organization_id"]
    me = api.get("/api/v1/users/me", headers=headers).json()
    assert me["role_name"] == "AgencyManager"
