"""The affiliates API over HTTP: every field, partial updates, archiving, lists, validation, tenancy, events."""

from __future__ import annotations

import pytest

from shared.domain.roles import Role

AFFILIATES = "/api/v1/affiliates"

FULL_BODY = {
    "name": "Coupon Kings",
    "status": "active",
    "contact_email": "team@couponkings.example",
    "payment_details": {"type": "paypal", "paypal_email": "payouts@couponkings.example"},
    "internal_notes": "Top performer",
    "default_currency_id": "CAD",
    "contact_address": {"address_1": "4110 rue St-Laurent", "address_2": "Suite 200", "city": "Montreal",
                        "region_code": "QC", "country_code": "CA", "zip_postal_code": "H2W 1Y9"},
    "billing_info": {"billing_frequency": "monthly", "payment_type": "paypal", "tax_id": "CA-99",
                     "details": {"day_of_month": 1},
                     "payment": {"paypal_reception_method": "email", "reception_identifier": "payouts@ck.example"}},
    "labels": ["coupon", "tier-1"],
    "invoice_amount_threshold": "100.25",
    "default_payment_terms": 15,
}


@pytest.fixture
def org(make_org) -> int:
    return make_org("affiliate")


@pytest.fixture
def manager(make_user, org):
    return make_user(Role.AFFILIATE_MANAGER, org)


def create(api, user, org: int, **fields) -> dict:
    response = api.post(AFFILIATES, json={"name": "Partner", "organization_id": org, **fields}, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def events(sql, affiliate_id: int) -> list[dict]:
    return sql("SELECT event_type, aggregate_version, organization_id, payload FROM outbox"
               " WHERE aggregate_type = 'affiliate' AND aggregate_id = :id ORDER BY created_at, event_id",
               id=str(affiliate_id))


def count(sql) -> int:
    return int(sql("SELECT count(*) AS n FROM affiliates")[0]["n"])


def test_a_manager_creates_an_affiliate_with_every_field_and_reads_it_back(api, manager, org, sql) -> None:
    response = api.post(AFFILIATES, json={**FULL_BODY, "organization_id": org}, headers=manager.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    for name, value in FULL_BODY.items():
        if name not in {"payment_details", "billing_info"}:
            assert created[name] == value, name
    assert created["payment_details"]["paypal_email"] == "payouts@couponkings.example"
    assert created["billing_info"]["details"]["day_of_month"] == 1
    assert created["billing_info"]["payment"] == FULL_BODY["billing_info"]["payment"]
    assert (created["organization_id"], created["version"]) == (org, 1)
    assert api.get(f"{AFFILIATES}/{created['affiliate_id']}", headers=manager.headers).json() == created
    stored = sql("SELECT invoice_amount_threshold_cents, labels FROM affiliates WHERE affiliate_id = :id",
                 id=created["affiliate_id"])
    assert stored == [{"invoice_amount_threshold_cents": 10025, "labels": ["coupon", "tier-1"]}]


def test_an_affiliate_needs_only_a_name_and_defaults_to_pending(api, manager, org, sql) -> None:
    created = create(api, manager, org)
    assert (created["status"], created["default_currency_id"], created["labels"]) == ("pending", "USD", [])
    assert created["invoice_amount_threshold"] is None
    [event] = events(sql, created["affiliate_id"])
    assert (event["event_type"], event["aggregate_version"], event["organization_id"]) == (
        "affiliate.created", 1, org)
    assert event["payload"]["invoice_amount_threshold_cents"] is None
    [entry] = sql("SELECT action FROM audit_log WHERE entity_type = 'affiliate' AND entity_id = :id",
                  id=str(created["affiliate_id"]))
    assert entry["action"] == "affiliate.create"


def test_labels_are_trimmed_and_kept_once_in_order(api, manager, org) -> None:
    created = create(api, manager, org, labels=[" vip ", "coupon", "vip"])
    assert created["labels"] == ["vip", "coupon"]


def test_put_is_partial_and_writes_an_updated_event(api, manager, org, sql) -> None:
    created = create(api, manager, org, **{k: v for k, v in FULL_BODY.items() if k != "name"})
    path = f"{AFFILIATES}/{created['affiliate_id']}"
    response = api.put(path, json={"labels": ["new"], "invoice_amount_threshold": 5}, headers=manager.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["labels"], updated["invoice_amount_threshold"], updated["version"]) == (["new"], "5.00", 2)
    assert (updated["contact_address"], updated["billing_info"]) == (created["contact_address"],
                                                                     created["billing_info"])
    assert [(e["event_type"], e["aggregate_version"]) for e in events(sql, created["affiliate_id"])] == [
        ("affiliate.created", 1), ("affiliate.updated", 2)]
    assert events(sql, created["affiliate_id"])[1]["payload"]["invoice_amount_threshold_cents"] == 500
    changes = sql("SELECT changes FROM audit_log WHERE action = 'affiliate.update' AND entity_id = :id",
                  id=str(created["affiliate_id"]))[0]["changes"]
    assert set(changes) == {"labels", "invoice_amount_threshold_cents"}


def test_archiving_hides_the_affiliate_and_it_cannot_come_back(api, manager, org, sql) -> None:
    created = create(api, manager, org, status="active")
    path = f"{AFFILIATES}/{created['affiliate_id']}"
    assert api.delete(path, headers=manager.headers).status_code == 204
    archived = api.get(path, headers=manager.headers).json()
    assert (archived["status"], archived["version"]) == ("archived", 2)
    assert archived["archived_at"] is not None
    listing = f"/api/v1/organizations/{org}/affiliates"
    assert api.get(listing, headers=manager.headers).json() == []
    assert len(api.get(f"{listing}?include_archived=true", headers=manager.headers).json()) == 1
    assert api.put(path, json={"status": "active"}, headers=manager.headers).status_code == 409
    assert [e["event_type"] for e in events(sql, created["affiliate_id"])] == ["affiliate.created",
                                                                             "affiliate.archived"]


def test_tenancy_and_organization_type_are_enforced(api, manager, make_user, make_org, sql) -> None:
    theirs = make_org("affiliate")
    body = {"name": "Sneaky", "organization_id": theirs}
    assert api.post(AFFILIATES, json=body, headers=manager.headers).status_code == 404
    advertiser_org = make_org("advertiser")
    response = api.post(AFFILIATES, json={"name": "Misplaced", "organization_id": advertiser_org},
                        headers=make_user(Role.ADMIN).headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "organization_id"
    assert count(sql) == 0

    foreign = create(api, make_user(Role.AFFILIATE_MANAGER, theirs), theirs)
    path = f"{AFFILIATES}/{foreign['affiliate_id']}"
    assert api.get(path, headers=manager.headers).status_code == 404
    assert api.put(path, json={"name": "Hijacked"}, headers=manager.headers).status_code == 404
    assert api.delete(path, headers=manager.headers).status_code == 404
    assert api.get(f"/api/v1/organizations/{theirs}/affiliates", headers=manager.headers).status_code == 404
    assert sql("SELECT name FROM affiliates WHERE affiliate_id = :id", id=foreign["affiliate_id"]) == [
        {"name": "Partner"}]


def test_advertiser_managers_cannot_touch_affiliates(api, manager, make_user, org) -> None:
    created = create(api, manager, org)
    advertiser_manager = make_user(Role.ADVERTISER_MANAGER, org)
    assert api.get(f"{AFFILIATES}/{created['affiliate_id']}", headers=advertiser_manager.headers).status_code == 403
    assert api.get(f"{AFFILIATES}/{created['affiliate_id']}", headers=make_user(Role.USER, org).headers
                   ).status_code == 200


def test_the_list_filters_searches_sorts_and_pages(api, manager, org) -> None:
    for name, status in [("Deal Hunters", "active"), ("deal blog", "pending"), ("Cashback Co", "active")]:
        create(api, manager, org, name=name, status=status)
    listing = f"/api/v1/organizations/{org}/affiliates"

    def names(query: str) -> list[str]:
        response = api.get(f"{listing}?{query}", headers=manager.headers)
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()]

    assert names("search=DEAL") == ["Deal Hunters", "deal blog"]
    assert names("status=active&sort_by=name") == ["Cashback Co", "Deal Hunters"]
    assert names("sort_by=affiliate_id&sort_order=desc") == ["Cashback Co", "deal blog", "Deal Hunters"]
    page = api.get(f"{listing}?sort_by=name&page=2&pageSize=2", headers=manager.headers)
    assert [a["name"] for a in page.json()] == ["Deal Hunters"]
    assert page.headers["X-Total-Count"] == "3"
    assert api.get(f"{listing}?sort_by=labels", headers=manager.headers).status_code == 422


def address(**fields) -> dict:
    base = {"address_1": "1 Main St", "city": "Springfield", "country_code": "US"}
    return {"contact_address": {**base, **fields}}


def billing_info(**fields) -> dict:
    return {"billing_info": fields}


RULES = [
    ("country code is ISO alpha-2", address(country_code="USA"), "contact_address.country_code"),
    ("country code exists", address(country_code="XX"), "contact_address.country_code"),
    ("address needs a first line", {"contact_address": {"city": "X", "country_code": "US"}},
     "contact_address.address_1"),
    ("address needs a city", {"contact_address": {"address_1": "1 Main", "country_code": "US"}},
     "contact_address.city"),
    ("payment type is Everflow's", billing_info(payment_type="cash"), "billing_info.payment_type"),
    ("billing frequency is Everflow's", billing_info(billing_frequency="daily"), "billing_info.billing_frequency"),
    ("weekly billing needs a weekday", billing_info(billing_frequency="weekly"), "billing_info.details.day_of_week"),
    ("monthly day is 1-31", billing_info(billing_frequency="monthly", details={"day_of_month": 0}),
     "billing_info.details.day_of_month"),
    ("bimonthly days differ", billing_info(billing_frequency="bimonthly",
                                           details={"day_of_month_one": 5, "day_of_month_two": 5}),
     "billing_info.details.day_of_month_two"),
    ("quarterly starting month is 1-12", billing_info(billing_frequency="quarterly", details={"starting_month": 0}),
     "billing_info.details.starting_month"),
    ("payment keys are plain names", billing_info(payment={"Bad Key": "x"}), "billing_info.payment.Bad Key.[key]"),
    ("payment values are text", billing_info(payment={"bank_name": 12}), "billing_info.payment.bank_name"),
    ("wire payee needs a bank", {"payment_details": {"type": "wire", "account_number": "1", "iban":
                                                     "GB82WEST12345698765432"}}, "payment_details.bank_name"),
    ("ach payee needs routing", {"payment_details": {"type": "ach", "bank_name": "B", "account_number": "1"}},
     "payment_details.routing_number"),
    ("paypal payee needs an email", {"payment_details": {"type": "paypal"}}, "payment_details.paypal_email"),
    ("crypto payee needs a wallet", {"payment_details": {"type": "crypto", "crypto_address": "abc"}},
     "payment_details.crypto_wallet_type"),
    ("check payee needs an address", {"payment_details": {"type": "check"}}, "payment_details.mailing_address"),
    ("labels are strings", {"labels": [1]}, "labels.0"),
    ("labels have no markup", {"labels": ["<script>"]}, "labels.0"),
    ("at most 50 labels", {"labels": [f"l{i}" for i in range(51)]}, "labels"),
    ("threshold has cents at most", {"invoice_amount_threshold": "1.001"}, "invoice_amount_threshold"),
    ("threshold is not negative", {"invoice_amount_threshold": "-5"}, "invoice_amount_threshold"),
    ("payment terms are 0-365 days", {"default_payment_terms": -1}, "default_payment_terms"),
    ("currency is ISO 4217", {"default_currency_id": "DOLLARS"}, "default_currency_id"),
    ("contact email", {"contact_email": "x@"}, "contact_email"),
    ("status is known", {"status": "suspended"}, "status"),
    ("archived is set by DELETE only", {"status": "archived"}, "status"),
    ("unknown fields are refused", {"labels_csv": "a,b"}, "labels_csv"),
]


@pytest.mark.parametrize(("case", "fields", "field"), RULES, ids=[r[0] for r in RULES])
def test_every_validation_rule_is_a_422_naming_the_field_and_writes_nothing(api, manager, org, sql, case, fields,
                                                                          field) -> None:
    response = api.post(AFFILIATES, json={"name": "Partner", "organization_id": org, **fields},
                        headers=manager.headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]], response.text
    assert count(sql) == 0
    assert sql("SELECT count(*) AS n FROM outbox")[0]["n"] == 0


@pytest.mark.parametrize("field", ["name", "status", "default_currency_id", "labels"])
def test_required_fields_cannot_be_nulled(api, manager, org, field) -> None:
    created = create(api, manager, org)
    response = api.put(f"{AFFILIATES}/{created['affiliate_id']}", json={field: None}, headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field


def test_the_same_rules_hold_on_update(api, manager, org) -> None:
    created = create(api, manager, org)
    path = f"{AFFILIATES}/{created['affiliate_id']}"
    response = api.put(path, json={"payment_details": {"type": "ach", "bank_name": "B"}}, headers=manager.headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"payment_details.account_number", "payment_details.routing_number"}
    assert api.get(path, headers=manager.headers).json()["version"] == 1
