"""Agency delegations over HTTP: every route, every step of the lifecycle, which side may take it, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.agency_delegations import Permission
from shared.domain.roles import Role

BASE = "/api/v1/agency-delegations"


@dataclass(frozen=True)
class Side:
    org: int
    manager: object  # tests.conftest.User


@dataclass(frozen=True)
class Pair:
    agency: Side
    advertiser: Side
    admin: object


@pytest.fixture
def pair(make_org, make_user) -> Pair:
    agency = make_org("agency")
    advertiser = make_org("advertiser")
    return Pair(Side(agency, make_user(Role.AGENCY_MANAGER, agency)),
                Side(advertiser, make_user(Role.ADVERTISER_MANAGER, advertiser)), make_user(Role.ADMIN))


def future(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta or {"days": 30})).isoformat()


def create(api, pair: Pair, permissions=("campaign_view",), **extra) -> dict:
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": list(permissions), **extra}
    response = api.post(BASE, json=body, headers=pair.advertiser.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def step(api, user, delegation: dict | int, name: str):
    delegation_id = delegation if isinstance(delegation, int) else delegation["delegation_id"]
    return api.post(f"{BASE}/{delegation_id}/{name}", headers=user.headers)


def active(api, pair: Pair, **extra) -> dict:
    created = create(api, pair, **extra)
    accepted = step(api, pair.agency.manager, created, "accept")
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


def audit_actions(sql, delegation_id: int) -> list[str]:
    rows = sql("SELECT action FROM audit_log WHERE entity_type = 'agency_delegation' AND entity_id = :id"
               " ORDER BY audit_id", id=str(delegation_id))
    return [r["action"] for r in rows]


def test_the_advertiser_grants_and_the_agency_accepts(api, pair, sql) -> None:
    created = create(api, pair, permissions=["campaign_view", "analytics_view", "campaign_view"],
                     message="Spring season", expires_at=future())
    assert created["status"] == "pending"
    assert created["permissions"] == ["campaign_view", "analytics_view"]  # a JSON array, deduplicated, in order
    assert created["delegated_by_user_id"] == str(pair.advertiser.manager.user_id)
    assert created["accepted_by_user_id"] is None and created["accepted_at"] is None
    accepted = step(api, pair.agency.manager, created, "accept")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "active"
    assert body["accepted_by_user_id"] == str(pair.agency.manager.user_id) and body["accepted_at"]
    assert audit_actions(sql, created["delegation_id"]) == ["agency_delegation.create", "agency_delegation.accept"]
    stored = sql("SELECT organization_id, changes FROM audit_log WHERE action = 'agency_delegation.accept'")[0]
    assert stored["organization_id"] == pair.agency.org  # filed under the side that acted
    assert stored["changes"]["status"] == {"before": "pending", "after": "active"}


def test_every_step_of_the_lifecycle_by_its_side(api, pair, sql) -> None:
    delegation = active(api, pair)
    advertiser, agency = pair.advertiser.manager, pair.agency.manager
    suspended = step(api, advertiser, delegation, "suspend")
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    reactivated = step(api, advertiser, delegation, "reactivate")
    assert reactivated.status_code == 200 and reactivated.json()["status"] == "active"
    revoked = step(api, agency, delegation, "revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert audit_actions(sql, delegation["delegation_id"]) == [
        "agency_delegation.create", "agency_delegation.accept", "agency_delegation.suspend",
        "agency_delegation.reactivate", "agency_delegation.revoke"]
    rejected = create(api, pair)  # a revoked delegation does not block a new one for the pair
    answer = step(api, agency, rejected, "reject")
    assert answer.status_code == 200 and answer.json()["status"] == "revoked"
    by_advertiser = create(api, pair)
    assert step(api, advertiser, by_advertiser, "reject").json()["status"] == "revoked"
    revoked_pending = create(api, pair)
    assert step(api, advertiser, revoked_pending, "revoke").json()["status"] == "revoked"


@pytest.mark.parametrize(("status", "name", "who", "expected"), [
    ("pending", "accept", "advertiser", 403),
    ("active", "suspend", "agency", 403),
    ("suspended", "reactivate", "agency", 403),
    ("pending", "suspend", "advertiser", 409),
    ("active", "accept", "agency", 409),
    ("active", "reactivate", "advertiser", 409),
    ("active", "reject", "agency", 409),
    ("suspended", "accept", "agency", 409),
    ("revoked", "revoke", "advertiser", 409),
    ("revoked", "accept", "agency", 409),
    ("revoked", "reactivate", "advertiser", 409),
    ("expired", "accept", "agency", 409),
    ("expired", "reactivate", "advertiser", 409),
    ("expired", "revoke", "agency", 409),
])
def test_the_wrong_side_is_refused_and_a_wrong_status_conflicts(api, pair, sql, status, name, who,
                                                                  expected) -> None:
    delegation = create(api, pair)
    sql("UPDATE agency_delegations SET status = :status WHERE delegation_id = :id",
        status="active" if status == "expired" else status, id=delegation["delegation_id"])
    if status == "expired":  # stored active, but past its expiry: expired at read time, before any job
        sql("UPDATE agency_delegations SET created_at = now() - interval '2 days',"
            " expires_at = now() - interval '1 day' WHERE delegation_id = :id", id=delegation["delegation_id"])
    user = pair.agency.manager if who == "agency" else pair.advertiser.manager
    response = step(api, user, delegation, name)
    assert response.status_code == expected, response.text
    assert response.json()["error"]["code"] == {403: "forbidden", 409: "conflict"}[expected]
    assert audit_actions(sql, delegation["delegation_id"]) == ["agency_delegation.create"]


def test_platform_administrators_take_any_step(api, pair) -> None:
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": ["billing_view"]}
    created = api.post(BASE, json=body, headers=pair.admin.headers)
    assert created.status_code == 201, created.text
    for name, status in (("accept", "active"), ("suspend", "suspended"), ("reactivate", "active"),
                         ("revoke", "revoked")):
        response = step(api, pair.admin, created.json(), name)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status


def test_another_tenants_delegation_is_not_found(api, pair, make_org, make_user) -> None:
    delegation = active(api, pair)
    stranger_org = make_org("agency")
    stranger = make_user(Role.AGENCY_MANAGER, stranger_org)
    other_advertiser = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    path = f"{BASE}/{delegation['delegation_id']}"
    for user in (stranger, other_advertiser):
        assert api.get(path, headers=user.headers).status_code == 404
        assert step(api, user, delegation, "revoke").status_code == 404
    assert api.put(f"{path}/permissions", json={"permissions": ["billing_view"]},
                   headers=other_advertiser.headers).status_code == 404
    assert api.get(BASE, headers=stranger.headers).json() == []
    assert api.get(f"{BASE}/agency/{pair.agency.org}", headers=stranger.headers).status_code == 404
    assert api.get(f"{BASE}/advertiser/{pair.advertiser.org}", headers=other_advertiser.headers).status_code == 404


def test_roles_outside_the_policy_are_forbidden(api, pair, make_user, make_org) -> None:
    affiliate = make_user(Role.AFFILIATE_MANAGER, make_org("affiliate"))
    member = make_user(Role.USER, pair.advertiser.org)
    for user in (affiliate, member):
        assert api.get(BASE, headers=user.headers).status_code == 403
        assert api.post(BASE, json={}, headers=user.headers).status_code == 403
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": ["campaign_view"]}
    assert api.post(BASE, json=body, headers=pair.agency.manager.headers).status_code == 403
    catalogue = api.get(f"{BASE}/permissions", headers=member.headers)
    assert catalogue.status_code == 200
    assert catalogue.json() == [p.value for p in Permission] and len(catalogue.json()) == 16


@pytest.mark.parametrize(("change", "field"), [
    ({"permissions": []}, "permissions"),
    ({"permissions": ["campaign_fly"]}, "permissions"),
    ({"permissions": "campaign_view"}, "permissions"),
    ({"agency_org_id": "1"}, "agency_org_id"),
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),  # no time zone
    ({"unexpected": True}, "unexpected"),
])
def test_invalid_bodies_are_422_with_the_field(api, pair, change, field) -> None:
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": ["campaign_view"], **change}
    response = api.post(BASE, json=body, headers=pair.advertiser.manager.headers)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_the_organizations_must_be_an_agency_and_an_advertiser(api, pair, make_org) -> None:
    affiliate = make_org("affiliate")
    cases = [
        ({"agency_org_id": affiliate}, "agency_org_id"),
        ({"agency_org_id": 987654}, "agency_org_id"),
        ({"agency_org_id": pair.advertiser.org}, "agency_org_id"),
    ]
    for change, field in cases:
        body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
                "permissions": ["campaign_view"], **change}
        response = api.post(BASE, json=body, headers=pair.advertiser.manager.headers)
        assert response.status_code == 422, response.text
        assert field in {d["field"] for d in response.json()["error"]["details"]}
    foreign = {"agency_org_id": pair.agency.org, "advertiser_org_id": make_org("advertiser"),
               "permissions": ["campaign_view"]}
    assert api.post(BASE, json=foreign, headers=pair.advertiser.manager.headers).status_code == 403


def test_one_live_delegation_per_pair(api, pair) -> None:
    delegation = active(api, pair)
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": ["campaign_view"]}
    duplicate = api.post(BASE, json=body, headers=pair.advertiser.manager.headers)
    assert duplicate.status_code == 409
    step(api, pair.advertiser.manager, delegation, "suspend")
    assert api.post(BASE, json=body, headers=pair.advertiser.manager.headers).status_code == 409
    step(api, pair.advertiser.manager, delegation, "revoke")
    assert api.post(BASE, json=body, headers=pair.advertiser.manager.headers).status_code == 201


def test_an_expired_grant_reads_as_expired_and_does_not_block_a_new_one(api, pair, sql) -> None:
    delegation = active(api, pair)
    sql("UPDATE agency_delegations SET created_at = now() - interval '2 days', expires_at = now() - interval '1 hour'"
        " WHERE delegation_id = :id", id=delegation["delegation_id"])
    path = f"{BASE}/{delegation['delegation_id']}"
    assert api.get(path, headers=pair.agency.manager.headers).json()["status"] == "expired"
    listed = api.get(BASE, headers=pair.advertiser.manager.headers)
    assert listed.json() == []  # expired ones are hidden by default
    shown = api.get(f"{BASE}?include_expired=true", headers=pair.advertiser.manager.headers).json()
    assert [d["status"] for d in shown] == ["expired"]
    assert api.get(f"{BASE}?status=expired", headers=pair.advertiser.manager.headers).json()[0]["delegation_id"] \
        == delegation["delegation_id"]
    assert api.get(f"{BASE}/agency/{pair.agency.org}", headers=pair.agency.manager.headers).json() == []
    renewed = create(api, pair)  # the lapsed grant is expired in passing (audited as system)
    assert renewed["delegation_id"] != delegation["delegation_id"]
    stored = sql("SELECT status FROM agency_delegations WHERE delegation_id = :id", id=delegation["delegation_id"])
    assert stored[0]["status"] == "expired"
    expired_entry = sql("SELECT actor_id FROM audit_log WHERE action = 'agency_delegation.expire'")
    assert expired_entry == [{"actor_id": None}]


def test_permissions_and_expiry_are_the_advertisers_to_change(api, pair, sql) -> None:
    delegation = active(api, pair)
    path = f"{BASE}/{delegation['delegation_id']}"
    advertiser, agency = pair.advertiser.manager.headers, pair.agency.manager.headers
    changed = api.put(f"{path}/permissions", json={"permissions": ["billing_view", "campaign_create"]},
                      headers=advertiser)
    assert changed.status_code == 200, changed.text
    assert changed.json()["permissions"] == ["campaign_create", "billing_view"]
    assert api.put(f"{path}/permissions", json={"permissions": ["billing_manage"]}, headers=agency).status_code == 403
    assert api.put(f"{path}/permissions", json={"permissions": []}, headers=advertiser).status_code == 422
    same = api.put(f"{path}/permissions", json={"permissions": ["billing_view", "campaign_create"]},
                   headers=advertiser)
    assert same.status_code == 200  # the same set writes nothing
    expiry = future(days=10)
    dated = api.put(f"{path}/expiration", json={"expires_at": expiry}, headers=advertiser)
    assert dated.status_code == 200, dated.text
    assert datetime.fromisoformat(dated.json()["expires_at"]) == datetime.fromisoformat(expiry)
    assert api.put(f"{path}/expiration", json={"expires_at": "2020-01-01T00:00:00Z"},
                   headers=advertiser).status_code == 422
    assert api.put(f"{path}/expiration", json={"expires_at": expiry}, headers=agency).status_code == 403
    cleared = api.put(f"{path}/expiration", json={"expires_at": None}, headers=advertiser)
    assert cleared.status_code == 200 and cleared.json()["expires_at"] is None
    assert audit_actions(sql, delegation["delegation_id"])[-3:] == [
        "agency_delegation.permissions", "agency_delegation.expiration", "agency_delegation.expiration"]
    step(api, pair.advertiser.manager, delegation, "revoke")
    assert api.put(f"{path}/permissions", json={"permissions": ["billing_view"]}, headers=advertiser).status_code == 409
    assert api.put(f"{path}/expiration", json={"expires_at": expiry}, headers=advertiser).status_code == 409


def test_lists_filters_details_and_paging(api, pair, make_org) -> None:
    first = active(api, pair)
    second_agency = make_org("agency", name="Second Agency")
    body = {"agency_org_id": second_agency, "advertiser_org_id": pair.advertiser.org, "permissions": ["billing_view"]}
    second = api.post(BASE, json=body, headers=pair.advertiser.manager.headers).json()
    headers = pair.advertiser.manager.headers
    listed = api.get(BASE, headers=headers)
    assert [d["delegation_id"] for d in listed.json()] == [second["delegation_id"], first["delegation_id"]]
    assert listed.headers["X-Total-Count"] == "2"
    paged = api.get(f"{BASE}?limit=1&offset=1", headers=headers)
    assert [d["delegation_id"] for d in paged.json()] == [first["delegation_id"]]
    assert paged.headers["X-Total-Count"] == "2"
    assert [d["delegation_id"] for d in api.get(f"{BASE}?status=pending", headers=headers).json()] == [
        second["delegation_id"]]
    assert [d["delegation_id"] for d in api.get(f"{BASE}?agency_org_id={second_agency}", headers=headers).json()] \
        == [second["delegation_id"]]
    detailed = api.get(f"{BASE}/{first['delegation_id']}?with_details=true", headers=pair.agency.manager.headers)
    assert detailed.json()["advertiser_organization"]["organization_id"] == pair.advertiser.org
    assert detailed.json()["agency_organization"]["type"] == "agency"
    assert api.get(f"{BASE}/{first['delegation_id']}", headers=headers).json()["agency_organization"] is None
    with_details = api.get(f"{BASE}?with_details=true", headers=headers).json()
    assert with_details[0]["agency_organization"]["name"] == "Second Agency"
    assert api.get(f"{BASE}?limit=101", headers=headers).status_code == 422
    assert api.get(f"{BASE}?status=maybe", headers=headers).status_code == 422
    of_agency = api.get(f"{BASE}/agency/{pair.agency.org}", headers=pair.agency.manager.headers).json()
    assert [d["delegation_id"] for d in of_agency] == [first["delegation_id"]]
    of_advertiser = api.get(f"{BASE}/advertiser/{pair.advertiser.org}", headers=headers).json()
    assert [d["delegation_id"] for d in of_advertiser] == [first["delegation_id"]]  # active ones only
    assert api.get(f"{BASE}/agency/{pair.agency.org}", headers=pair.admin.headers).status_code == 200
    assert api.get(f"{BASE}/agency/987654", headers=pair.admin.headers).status_code == 404


def test_check_permissions(api, pair, make_org, make_user) -> None:
    body = {"agency_org_id": pair.agency.org, "advertiser_org_id": pair.advertiser.org,
            "permissions": ["campaign_view", "billing_view"]}
    path = f"{BASE}/check-permissions"
    none = api.post(path, json=body, headers=pair.agency.manager.headers)
    assert none.status_code == 200, none.text
    assert none.json() == {"has_permissions": False, "permission_results": {"campaign_view": False,
                           "billing_view": False}, "delegation_status": None, "is_expired": False}
    delegation = create(api, pair, permissions=["campaign_view"])
    pending = api.post(path, json=body, headers=pair.advertiser.manager.headers).json()
    assert pending["delegation_status"] == "pending" and pending["permission_results"]["campaign_view"] is False
    step(api, pair.agency.manager, delegation, "accept")
    granted = api.post(path, json={**body, "permissions": ["campaign_view"]}, headers=pair.admin.headers).json()
    assert granted == {"has_permissions": True, "permission_results": {"campaign_view": True},
                       "delegation_status": "active", "is_expired": False}
    partly = api.post(path, json=body, headers=pair.agency.manager.headers).json()
    assert partly["has_permissions"] is False and partly["permission_results"] == {"campaign_view": True,
                                                                                    "billing_view": False}
    outsider = make_user(Role.AGENCY_MANAGER, make_org("agency"))
    assert api.post(path, json=body, headers=outsider.headers).status_code == 403
    assert api.post(path, json={**body, "permissions": ["nope"]}, headers=pair.admin.headers).status_code == 422
