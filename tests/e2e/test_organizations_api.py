"""The organizations API over HTTP, through the local router and real functions-framework apps."""

from __future__ import annotations

import pytest

from shared.domain.roles import Role

ORGS = "/api/v1/organizations"
PUBLIC = "/api/v1/public/organizations"


def count_orgs(sql) -> int:
    return int(sql("SELECT count(*) AS n FROM organizations")[0]["n"])


def test_public_sign_up_writes_the_organization_and_its_extra_info(api, make_user, sql) -> None:
    body = {"name": "Acme Shoes", "type": "advertiser", "contact_email": "ops@acme.example",
            "advertiser_extra_info": {"website": "https://acme.example", "website_type": "shopify",
                                      "company_size": "small"}}
    response = api.post(PUBLIC, json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Acme Shoes"
    assert created["type"] == "advertiser"
    assert created["advertiser_extra_info"]["website_type"] == "shopify"
    org_id = created["organization_id"]
    assert sql("SELECT website, company_size FROM advertiser_extra_info WHERE organization_id = :id",
               id=org_id) == [{"website": "https://acme.example", "company_size": "small"}]

    member = make_user(Role.ADVERTISER_MANAGER, org_id)
    fetched = api.get(f"{ORGS}/{org_id}?with_extra=true", headers=member.headers).json()
    assert fetched == created
    plain = api.get(f"{ORGS}/{org_id}", headers=member.headers).json()
    assert "advertiser_extra_info" not in plain


def test_the_public_route_cannot_create_a_platform_owner(api, sql) -> None:
    before = count_orgs(sql)
    response = api.post(PUBLIC, json={"name": "Sneaky", "type": "platform_owner"})
    assert response.status_code == 403
    assert count_orgs(sql) == before


def test_only_a_cross_tenant_role_creates_a_platform_owner(api, make_user) -> None:
    body = {"name": "Second Platform", "type": "platform_owner"}
    assert api.post(ORGS, json=body, headers=make_user(Role.USER).headers).status_code == 403
    assert api.post(ORGS, json=body, headers=make_user(Role.ADMIN).headers).status_code == 201


def test_extra_info_of_the_wrong_kind_is_refused_and_nothing_is_written(api, sql) -> None:
    before = count_orgs(sql)
    response = api.post(PUBLIC, json={"name": "Mixed", "type": "affiliate",
                                      "advertiser_extra_info": {"website_type": "amazon"}})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "advertiser_extra_info"
    assert count_orgs(sql) == before


BAD_BODIES = [
    ("malformed json", "{\"name\": ", 400),
    ("not an object", "[1, 2]", 422),
    ("wrong type", '{"name": 42, "type": "advertiser"}', 422),
    ("unknown field", '{"name": "A", "type": "advertiser", "is_admin": true}', 422),
    ("300 characters", '{"name": "' + "x" * 300 + '", "type": "advertiser"}', 422),
    ("script tag", '{"name": "<script>alert(1)</script>", "type": "advertiser"}', 422),
    ("unknown enum", '{"name": "A", "type": "superuser"}', 422),
    ("bad email", '{"name": "A", "type": "advertiser", "contact_email": "not-an-email"}', 422),
    ("bad website", '{"name": "A", "type": "affiliate", "affiliate_extra_info": {"website": "javascript:x"}}', 422),
    ("blank name", '{"name": "   ", "type": "advertiser"}', 422),
]


@pytest.mark.parametrize(("case", "body", "status"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_input_gets_a_clear_json_error_and_writes_nothing(api, sql, case, body, status) -> None:
    before = count_orgs(sql)
    response = api.post(PUBLIC, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()["error"]) >= {"code", "message"}
    assert count_orgs(sql) == before


def test_oversized_and_non_json_bodies_are_refused(api, sql) -> None:
    before = count_orgs(sql)
    huge = '{"name": "A", "type": "advertiser", "description": "' + "x" * 2_000_000 + '"}'
    assert api.post(PUBLIC, data=huge, headers={"Content-Type": "application/json"}).status_code == 413
    assert api.post(PUBLIC, data="name=A&type=advertiser",
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
    assert count_orgs(sql) == before


def test_sql_metacharacters_are_stored_literally(api, make_user, sql) -> None:
    name = "Robert'); DROP TABLE organizations;--"
    created = api.post(PUBLIC, json={"name": name, "type": "agency"}).json()
    assert sql("SELECT name FROM organizations WHERE organization_id = :id",
               id=created["organization_id"]) == [{"name": name}]


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "1;DROP%20TABLE%20organizations", "99999999999999999999",
                                    "1.5", "%27%20OR%201=1"])
def test_ids_that_are_not_positive_numbers_are_404(api, make_user, bad_id) -> None:
    admin = make_user(Role.ADMIN)
    response = api.get(f"{ORGS}/{bad_id}", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_id_that_does_not_exist_is_404(api, make_user) -> None:
    response = api.get(f"{ORGS}/987654321", headers=make_user(Role.ADMIN).headers)
    assert response.status_code == 404


def test_another_tenants_organization_answers_404_for_every_verb(api, make_user, make_org, sql) -> None:
    mine, theirs = make_org("advertiser"), make_org("advertiser", name="Theirs")
    manager = make_user(Role.ADVERTISER_MANAGER, mine)
    assert api.get(f"{ORGS}/{theirs}", headers=manager.headers).status_code == 404
    assert api.put(f"{ORGS}/{theirs}", json={"name": "Hijacked"}, headers=manager.headers).status_code == 404
    assert sql("SELECT name FROM organizations WHERE organization_id = :id", id=theirs) == [{"name": "Theirs"}]


def test_list_is_scoped_before_paging_with_correct_totals(api, make_user, make_org) -> None:
    for _ in range(12):
        make_org("affiliate")
    mine = make_org("advertiser")
    member = make_user(Role.ADVERTISER_MANAGER, mine)
    response = api.get(f"{ORGS}?page=1&pageSize=5", headers=member.headers)
    assert response.status_code == 200
    assert [o["organization_id"] for o in response.json()] == [mine]
    assert response.headers["X-Total-Count"] == "1"

    admin = make_user(Role.ADMIN)
    page3 = api.get(f"{ORGS}?page=3&page_size=5", headers=admin.headers)
    assert len(page3.json()) == 3
    assert page3.headers["X-Total-Count"] == "13"
    assert page3.headers["X-Total-Pages"] == "3"
    assert api.get(f"{ORGS}?type=advertiser", headers=admin.headers).json()[0]["organization_id"] == mine


def test_put_is_partial_and_type_changes_need_a_platform_admin(api, make_user, make_org) -> None:
    org = make_org("advertiser", name="Before")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    updated = api.put(f"{ORGS}/{org}", json={"description": "We sell shoes"}, headers=manager.headers).json()
    assert (updated["name"], updated["description"]) == ("Before", "We sell shoes")
    extra = api.put(f"{ORGS}/{org}", json={"advertiser_extra_info": {"company_size": "large"}},
                    headers=manager.headers).json()
    again = api.put(f"{ORGS}/{org}", json={"advertiser_extra_info": {"website": "https://shoes.example"}},
                    headers=manager.headers).json()
    assert extra["advertiser_extra_info"]["company_size"] == "large"
    assert again["advertiser_extra_info"] == {"website": "https://shoes.example", "website_type": None,
                                              "company_size": "large"}
    assert api.put(f"{ORGS}/{org}", json={"type": "agency"}, headers=manager.headers).status_code == 403
    assert api.put(f"{ORGS}/{org}", json={"type": "agency"},
                   headers=make_user(Role.ADMIN).headers).json()["type"] == "agency"


def test_users_cannot_update_and_only_platform_admins_archive(api, make_user, make_org, sql) -> None:
    org = make_org("advertiser")
    assert api.put(f"{ORGS}/{org}", json={"name": "X"}, headers=make_user(Role.USER, org).headers).status_code == 403
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    assert api.delete(f"{ORGS}/{org}", headers=manager.headers).status_code == 403
    admin = make_user(Role.ADMIN)
    assert api.delete(f"{ORGS}/{org}", headers=admin.headers).status_code == 204
    assert sql("SELECT status FROM organizations WHERE organization_id = :id", id=org) == [{"status": "archived"}]
    assert org not in [o["organization_id"] for o in api.get(ORGS, headers=admin.headers).json()]
    archived = api.get(f"{ORGS}?include_archived=true", headers=admin.headers).json()
    assert org in [o["organization_id"] for o in archived]
    assert api.get(f"{ORGS}/{org}", headers=admin.headers).json()["status"] == "archived"


def test_a_token_without_a_profile_is_401(api) -> None:
    import uuid

    from shared.auth.tokens import issue
    from tests.conftest import JWT_SECRET

    response = api.get(ORGS, headers={"Authorization": f"Bearer {issue(uuid.uuid4(), JWT_SECRET)}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_profile"


def test_health_reports_the_database_and_cache(api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": "up", "cache": "up"}


def test_health_is_503_while_the_database_is_down(api, monkeypatch) -> None:
    from shared.config import get_settings
    from shared.db.pool import reset_pool

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    reset_pool()
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    listing = api.get(ORGS, headers={"Authorization": "Bearer x"})
    assert listing.status_code == 401  # the token is checked before the database is needed


def test_null_for_a_required_field_is_a_422_not_a_500(api, make_user, make_org) -> None:
    org = make_org("advertiser", name="Kept")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    for body in ({"name": None}, {"type": None}):
        response = api.put(f"{ORGS}/{org}", json=body, headers=manager.headers)
        assert response.status_code == 422, response.text
    assert api.get(f"{ORGS}/{org}", headers=manager.headers).json()["name"] == "Kept"
