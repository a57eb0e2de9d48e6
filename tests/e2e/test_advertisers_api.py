"""The advertisers API over HTTP: every field, partial updates, archiving, lists, validation, tenancy, events."""

from __future__ import annotations

import pytest

from shared.domain.roles import Role

ADVERTISERS = "/api/v1/advertisers"

FULL_BODY = {
    "name": "Acme Shoes",
    "status": "active",
    "contact_email": "partners@acme.example",
    "billing_details": {
        "frequency": "bimonthly",
        "schedule": {"day_of_month_one": 1, "day_of_month_two": 15},
        "payment_type": "wire",
        "payment_details": {"type": "wire", "bank_name": "First Bank", "account_number": "12345678",
                            "swift_code": "DEUTDEFF500", "bank_address": "1 Bank St, Frankfurt"},
        "tax_id": "DE123456789",
        "is_invoice_creation_auto": True,
        "invoice_amount_threshold": "250.50",
        "auto_invoice_start_date": "2025-02-01",
        "default_invoice_is_hidden": False,
        "invoice_generation_days_delay": 3,
        "default_payment_terms": 30,
        "address": {"line1": "1 Main St", "city": "Montreal", "state": "QC", "postal_code": "H2X 1Y4",
                    "country": "CA", "company_name": "Acme Shoes Inc."},
        "additional_details": "PO required",
    },
    "internal_notes": "Key account",
    "default_currency_id": "EUR",
    "platform_name": "Shopify",
    "platform_url": "https://acme.example",
    "platform_username": "acme-admin",
    "accounting_contact_email": "ap@acme.example",
    "offer_id_macro": "oid",
    "affiliate_id_macro": "affid",
    "attribution_method": "first_touch",
    "email_attribution_method": "first_affiliate_attribution",
    "attribution_priority": "coupon_code",
    "reporting_timezone_id": 80,
}


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def manager(make_user, org):
    return make_user(Role.ADVERTISER_MANAGER, org)


def create(api, user, org: int, **fields) -> dict:
    body = {"name": "Acme", "contact_email": "ops@acme.example", "organization_id": org, **fields}
    response = api.post(ADVERTISERS, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def events(sql, advertiser_id: int) -> list[dict]:
    return sql("SELECT event_type, aggregate_version, organization_id, payload FROM outbox"
               " WHERE aggregate_type = 'advertiser' AND aggregate_id = :id ORDER BY created_at, event_id",
               id=str(advertiser_id))


def audit(sql, advertiser_id: int) -> list[dict]:
    return sql("SELECT action, changes, actor_id FROM audit_log WHERE entity_type = 'advertiser'"
               " AND entity_id = :id ORDER BY audit_id", id=str(advertiser_id))


def count(sql) -> int:
    return int(sql("SELECT count(*) AS n FROM advertisers")[0]["n"])


def test_a_manager_creates_an_advertiser_with_every_field_and_reads_it_back(api, manager, org, sql) -> None:
    response = api.post(ADVERTISERS, json={**FULL_BODY, "organization_id": org}, headers=manager.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    for name, value in FULL_BODY.items():
        if name != "billing_details":
            assert created[name] == value, name
    billing = created["billing_details"]
    assert billing["invoice_amount_threshold"] == "250.50"
    assert billing["payment_details"]["swift_code"] == "DEUTDEFF500"
    assert billing["schedule"] == {"day_of_week": None, "day_of_month": None, "day_of_month_one": 1,
                                   "day_of_month_two": 15, "starting_month": None}
    assert billing["address"]["country"] == "CA"
    assert (created["organization_id"], created["version"], created["archived_at"]) == (org, 1, None)

    fetched = api.get(f"{ADVERTISERS}/{created['advertiser_id']}", headers=manager.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    stored = sql("SELECT billing_details FROM advertisers WHERE advertiser_id = :id", id=created["advertiser_id"])
    assert stored[0]["billing_details"]["invoice_amount_threshold_cents"] == 25050


def test_creating_writes_an_event_with_the_version_and_an_audit_entry(api, manager, org, sql) -> None:
    created = create(api, manager, org, name="Evented")
    [event] = events(sql, created["advertiser_id"])
    assert (event["event_type"], event["aggregate_version"], event["organization_id"]) == (
        "advertiser.created", 1, org)
    assert event["payload"]["name"] == "Evented"
    assert event["payload"]["status"] == "pending"
    [entry] = audit(sql, created["advertiser_id"])
    assert entry["action"] == "advertiser.create"
    assert entry["changes"]["name"] == {"before": None, "after": "Evented"}
    assert str(entry["actor_id"]) == str(manager.user_id)


def test_defaults_are_pending_and_usd_as_in_the_original(api, manager, org) -> None:
    created = create(api, manager, org)
    assert (created["status"], created["default_currency_id"], created["billing_details"]) == ("pending", "USD", None)


def test_put_is_partial_and_each_change_bumps_the_version(api, manager, org, sql) -> None:
    created = create(api, manager, org, **{k: v for k, v in FULL_BODY.items() if k != "name"})
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    response = api.put(path, json={"internal_notes": "Renewed", "status": "inactive"}, headers=manager.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["internal_notes"], updated["status"], updated["version"]) == ("Renewed", "inactive", 2)
    unchanged = {k: v for k, v in updated.items() if k not in {"internal_notes", "status", "version", "updated_at"}}
    assert unchanged == {k: v for k, v in created.items() if k in unchanged}

    cleared = api.put(path, json={"billing_details": None, "platform_url": None}, headers=manager.headers).json()
    assert (cleared["billing_details"], cleared["platform_url"], cleared["version"]) == (None, None, 3)
    assert [(e["event_type"], e["aggregate_version"]) for e in events(sql, created["advertiser_id"])] == [
        ("advertiser.created", 1), ("advertiser.updated", 2), ("advertiser.updated", 3)]
    update_entry = audit(sql, created["advertiser_id"])[1]
    assert update_entry["action"] == "advertiser.update"
    assert set(update_entry["changes"]) == {"internal_notes", "status"}


def test_a_nested_object_given_in_a_put_replaces_the_stored_one(api, manager, org) -> None:
    created = create(api, manager, org, billing_details=FULL_BODY["billing_details"])
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    updated = api.put(path, json={"billing_details": {"frequency": "manual"}}, headers=manager.headers).json()
    assert updated["billing_details"]["frequency"] == "manual"
    assert updated["billing_details"]["payment_details"] is None


def test_a_put_that_changes_nothing_writes_nothing(api, manager, org, sql) -> None:
    created = create(api, manager, org, name="Same")
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    for body in ({}, {"name": "Same"}):
        response = api.put(path, json=body, headers=manager.headers)
        assert response.status_code == 200
        assert response.json()["version"] == 1
    assert len(events(sql, created["advertiser_id"])) == 1


@pytest.mark.parametrize("field", ["name", "status", "contact_email", "default_currency_id"])
def test_required_fields_cannot_be_nulled(api, manager, org, field) -> None:
    created = create(api, manager, org)
    response = api.put(f"{ADVERTISERS}/{created['advertiser_id']}", json={field: None}, headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


def test_archiving_hides_the_advertiser_and_it_cannot_come_back(api, manager, org, sql) -> None:
    created = create(api, manager, org, status="active")
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    assert api.delete(path, headers=manager.headers).status_code == 204
    archived = api.get(path, headers=manager.headers).json()
    assert (archived["status"], archived["version"]) == ("archived", 2)
    assert archived["archived_at"] is not None
    listing = f"/api/v1/organizations/{org}/advertisers"
    assert api.get(listing, headers=manager.headers).json() == []
    assert [a["advertiser_id"] for a in api.get(f"{listing}?include_archived=true", headers=manager.headers).json()] \
        == [created["advertiser_id"]]
    assert len(api.get(f"{listing}?status=archived", headers=manager.headers).json()) == 1

    for body in ({"status": "active"}, {"name": "Back again"}):
        response = api.put(path, json=body, headers=manager.headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
    assert api.delete(path, headers=manager.headers).status_code == 204  # idempotent, no second event
    assert [e["event_type"] for e in events(sql, created["advertiser_id"])] == [
        "advertiser.created", "advertiser.archived"]
    assert events(sql, created["advertiser_id"])[1]["aggregate_version"] == 2
    assert audit(sql, created["advertiser_id"])[-1]["changes"]["status"] == {"before": "active", "after": "archived"}


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_archived_is_not_a_status_a_client_sets(api, manager, org, method) -> None:
    created = create(api, manager, org)
    path = ADVERTISERS if method == "POST" else f"{ADVERTISERS}/{created['advertiser_id']}"
    body = {"name": "A", "contact_email": "a@b.example", "organization_id": org, "status": "archived"}
    if method == "PUT":
        body = {"status": "archived"}
    response = api.request(method, path, json=body, headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_a_manager_cannot_create_in_another_organization(api, manager, make_org, sql) -> None:
    theirs = make_org("advertiser")
    before = count(sql)
    response = api.post(ADVERTISERS, json={"name": "Sneaky", "contact_email": "a@b.example",
                                           "organization_id": theirs}, headers=manager.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    missing = api.post(ADVERTISERS, json={"name": "Ghost", "contact_email": "a@b.example",
                                          "organization_id": 987654321}, headers=manager.headers)
    assert missing.status_code == 404
    assert count(sql) == before


@pytest.mark.parametrize("org_type", ["affiliate", "agency", "platform_owner"])
def test_an_organization_of_another_type_cannot_hold_advertisers(api, make_user, make_org, sql, org_type) -> None:
    other = make_org(org_type)
    admin = make_user(Role.ADMIN)
    response = api.post(ADVERTISERS, json={"name": "Misplaced", "contact_email": "a@b.example",
                                           "organization_id": other}, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "organization_id"
    assert count(sql) == 0


def test_a_platform_admin_creates_in_any_advertiser_organization(api, make_user, org) -> None:
    created = create(api, make_user(Role.ADMIN), org)
    assert created["organization_id"] == org


def test_an_archived_organization_takes_no_new_advertisers(api, manager, org, sql) -> None:
    sql("UPDATE organizations SET status = 'archived', archived_at = now() WHERE organization_id = :id"
        " RETURNING organization_id", id=org)
    response = api.post(ADVERTISERS, json={"name": "Late", "contact_email": "a@b.example", "organization_id": org},
                        headers=manager.headers)
    assert response.status_code == 409
    assert count(sql) == 0


def test_another_tenants_advertiser_is_404_for_every_verb(api, manager, make_user, make_org, sql) -> None:
    theirs = make_org("advertiser")
    foreign = create(api, make_user(Role.ADVERTISER_MANAGER, theirs), theirs, name="Theirs")
    path = f"{ADVERTISERS}/{foreign['advertiser_id']}"
    assert api.get(path, headers=manager.headers).status_code == 404
    assert api.put(path, json={"name": "Hijacked"}, headers=manager.headers).status_code == 404
    assert api.delete(path, headers=manager.headers).status_code == 404
    assert api.get(f"/api/v1/organizations/{theirs}/advertisers", headers=manager.headers).status_code == 404
    assert sql("SELECT name, status FROM advertisers WHERE advertiser_id = :id", id=foreign["advertiser_id"]) == [
        {"name": "Theirs", "status": "pending"}]
    assert len(events(sql, foreign["advertiser_id"])) == 1


def test_plain_users_read_and_other_roles_are_refused(api, manager, make_user, org) -> None:
    created = create(api, manager, org)
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    user = make_user(Role.USER, org)
    assert api.get(path, headers=user.headers).status_code == 200
    assert api.get(f"/api/v1/organizations/{org}/advertisers", headers=user.headers).status_code == 200
    assert api.put(path, json={"name": "X"}, headers=user.headers).status_code == 403
    affiliate_manager = make_user(Role.AFFILIATE_MANAGER, org)
    assert api.get(path, headers=affiliate_manager.headers).status_code == 403
    assert api.get(path).status_code == 401


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999", "1.5"])
def test_ids_that_are_not_positive_numbers_are_404(api, manager, bad_id) -> None:
    assert api.get(f"{ADVERTISERS}/{bad_id}", headers=manager.headers).status_code == 404
    assert api.get(f"/api/v1/organizations/{bad_id}/advertisers", headers=manager.headers).status_code == 404


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [a["name"] for a in response.json()]


def test_the_list_filters_searches_sorts_and_pages(api, manager, org, make_org, make_user) -> None:
    for name, status in [("Alpha Shoes", "active"), ("beta shoes", "pending"), ("Gamma Hats", "active"),
                         ("Delta 100% Cotton", "inactive"), ("Epsilon_Wear", "rejected")]:
        create(api, manager, org, name=name, status=status)
    other = make_org("advertiser")
    create(api, make_user(Role.ADVERTISER_MANAGER, other), other, name="Other Shoes")
    listing = f"/api/v1/organizations/{org}/advertisers"

    assert names(api.get(f"{listing}?search=SHOES", headers=manager.headers)) == ["Alpha Shoes", "beta shoes"]
    assert names(api.get(f"{listing}?search=100%25", headers=manager.headers)) == ["Delta 100% Cotton"]
    assert names(api.get(f"{listing}?search=n_w", headers=manager.headers)) == ["Epsilon_Wear"]
    assert names(api.get(f"{listing}?search=%25", headers=manager.headers)) == ["Delta 100% Cotton"]
    assert names(api.get(f"{listing}?status=active", headers=manager.headers)) == ["Alpha Shoes", "Gamma Hats"]
    assert names(api.get(f"{listing}?sort_by=name&sort_order=desc", headers=manager.headers)) == [
        "Gamma Hats", "Epsilon_Wear", "Delta 100% Cotton", "beta shoes", "Alpha Shoes"]

    page = api.get(f"{listing}?sort_by=name&page=2&pageSize=2", headers=manager.headers)
    assert names(page) == ["Delta 100% Cotton", "Epsilon_Wear"]
    assert (page.headers["X-Total-Count"], page.headers["X-Total-Pages"], page.headers["X-Page"]) == ("5", "3", "2")
    last = api.get(f"{listing}?sort_by=name&page=3&page_size=2", headers=manager.headers)
    assert names(last) == ["Gamma Hats"]
    beyond = api.get(f"{listing}?page=9&page_size=2", headers=manager.headers)
    assert (names(beyond), beyond.headers["X-Total-Count"]) == ([], "5")
    created_order = names(api.get(f"{listing}?sort_by=created_at&sort_order=desc", headers=manager.headers))
    assert created_order[0] == "Epsilon_Wear"
