"""Every validation rule of the advertisers API: a 422 naming the field, and nothing written."""

from __future__ import annotations

import pytest

from shared.domain.roles import Role
from tests.e2e.test_advertisers_api import ADVERTISERS, count, create, events


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def manager(make_user, org):
    return make_user(Role.ADVERTISER_MANAGER, org)


def billing(**fields) -> dict:
    return {"billing_details": fields}


WIRE = {"type": "wire", "bank_name": "First Bank", "account_number": "12345678", "routing_number": "021000021"}
RULES = [
    ("wire needs a bank name", billing(payment_details={**WIRE, "bank_name": None}),
     "billing_details.payment_details.bank_name"),
    ("wire needs an account number", billing(payment_details={**WIRE, "account_number": None}),
     "billing_details.payment_details.account_number"),
    ("wire needs routing, swift or iban", billing(payment_details={**WIRE, "routing_number": None}),
     "billing_details.payment_details.routing_number"),
    ("ach needs a routing number", billing(payment_details={**WIRE, "type": "ach", "routing_number": None,
                                                            "swift_code": "DEUTDEFF"}),
     "billing_details.payment_details.routing_number"),
    ("ach needs a bank name", billing(payment_details={**WIRE, "type": "ach", "bank_name": None}),
     "billing_details.payment_details.bank_name"),
    ("paypal needs an email", billing(payment_details={"type": "paypal"}),
     "billing_details.payment_details.paypal_email"),
    ("crypto needs an address", billing(payment_details={"type": "crypto", "crypto_wallet_type": "bitcoin"}),
     "billing_details.payment_details.crypto_address"),
    ("crypto needs a wallet type", billing(payment_details={"type": "crypto", "crypto_address": "bc1qxy2kgdygjrs"}),
     "billing_details.payment_details.crypto_wallet_type"),
    ("check needs a mailing address", billing(payment_details={"type": "check"}),
     "billing_details.payment_details.mailing_address"),
    ("payment details match the payment type", billing(payment_type="ach", payment_details=WIRE),
     "billing_details.payment_details.type"),
    ("weekly needs a weekday", billing(frequency="weekly"), "billing_details.schedule.day_of_week"),
    ("weekday is 0-6", billing(frequency="weekly", schedule={"day_of_week": 7}),
     "billing_details.schedule.day_of_week"),
    ("monthly needs a day", billing(frequency="monthly", schedule={}), "billing_details.schedule.day_of_month"),
    ("monthly day is 1-31", billing(frequency="monthly", schedule={"day_of_month": 32}),
     "billing_details.schedule.day_of_month"),
    ("bimonthly needs a second day", billing(frequency="bimonthly", schedule={"day_of_month_one": 1}),
     "billing_details.schedule.day_of_month_two"),
    ("bimonthly days are 1-31", billing(frequency="bimonthly", schedule={"day_of_month_one": 0,
                                                                         "day_of_month_two": 15}),
     "billing_details.schedule.day_of_month_one"),
    ("quarterly needs a starting month", billing(frequency="quarterly", schedule={"day_of_month": 1}),
     "billing_details.schedule.starting_month"),
    ("starting month is 1-12", billing(frequency="quarterly", schedule={"starting_month": 13}),
     "billing_details.schedule.starting_month"),
    ("frequency is Everflow's", billing(frequency="daily"), "billing_details.frequency"),
    ("payment type is known", billing(payment_type="cash"), "billing_details.payment_type"),
    ("swift code format", billing(payment_details={**WIRE, "swift_code": "NOTASWIFT"}),
     "billing_details.payment_details.swift_code"),
    ("iban checksum", billing(payment_details={**WIRE, "iban": "GB82WEST12345698765431"}),
     "billing_details.payment_details.iban"),
    ("paypal email format", billing(payment_details={"type": "paypal", "paypal_email": "nope"}),
     "billing_details.payment_details.paypal_email"),
    ("threshold has cents at most", billing(invoice_amount_threshold="10.005"),
     "billing_details.invoice_amount_threshold"),
    ("threshold is not negative", billing(invoice_amount_threshold=-1), "billing_details.invoice_amount_threshold"),
    ("address country is ISO alpha-2", billing(address={"country": "USA"}), "billing_details.address.country"),
    ("payment terms are days", billing(default_payment_terms=400), "billing_details.default_payment_terms"),
    ("start date is a date", billing(auto_invoice_start_date="next monday"), "billing_details.auto_invoice_start_date"),
    ("attribution method", {"attribution_method": "middle_touch"}, "attribution_method"),
    ("email attribution method", {"email_attribution_method": "any"}, "email_attribution_method"),
    ("attribution priority", {"attribution_priority": "cookie"}, "attribution_priority"),
    ("currency is ISO 4217", {"default_currency_id": "usd"}, "default_currency_id"),
    ("platform url is http(s)", {"platform_url": "javascript:alert(1)"}, "platform_url"),
    ("accounting email", {"accounting_contact_email": "ap"}, "accounting_contact_email"),
    ("contact email", {"contact_email": "not-an-email"}, "contact_email"),
    ("timezone id is positive", {"reporting_timezone_id": 0}, "reporting_timezone_id"),
    ("unknown fields are refused", {"is_admin": True}, "is_admin"),
    ("name has no markup", {"name": "<b>Acme</b>"}, "name"),
]


@pytest.mark.parametrize(("case", "fields", "field"), RULES, ids=[r[0] for r in RULES])
def test_every_validation_rule_is_a_422_naming_the_field_and_writes_nothing(api, manager, org, sql, case, fields,
                                                                          field) -> None:
    body = {"name": "Acme", "contact_email": "ops@acme.example", "organization_id": org, **fields}
    response = api.post(ADVERTISERS, json=body, headers=manager.headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]], response.text
    assert count(sql) == 0
    assert sql("SELECT count(*) AS n FROM outbox")[0]["n"] == 0


def test_the_same_rules_hold_on_update_and_nothing_changes(api, manager, org, sql) -> None:
    created = create(api, manager, org)
    path = f"{ADVERTISERS}/{created['advertiser_id']}"
    response = api.put(path, json=billing(frequency="weekly", schedule={"day_of_week": 9}), headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "billing_details.schedule.day_of_week"
    assert api.put(path, json={"organization_id": org}, headers=manager.headers).status_code == 422
    assert api.get(path, headers=manager.headers).json() == created
    assert len(events(sql, created["advertiser_id"])) == 1


VALID = [
    billing(frequency="weekly", schedule={"day_of_week": 0}, payment_details={"type": "paypal",
                                                                              "paypal_email": "pay@acme.example"}),
    billing(frequency="monthly", schedule={"day_of_month": 31},
            payment_details={"type": "wire", "bank_name": "B", "account_number": "1",
                             "iban": "GB82 WEST 1234 5698 7654 32"}),
    billing(frequency="quarterly", schedule={"starting_month": 1},
            payment_details={"type": "crypto", "crypto_address": "bc1qxy2kgdygjrs", "crypto_wallet_type": "btc"}),
    billing(frequency="manual", payment_type="check",
            payment_details={"type": "check", "mailing_address": "1 Main St, Springfield"}),
    billing(frequency="two_months", payment_details={**WIRE, "type": "ach", "ach_account_type": "savings"}),
]


@pytest.mark.parametrize("fields", VALID, ids=["weekly-paypal", "monthly-iban", "quarterly-crypto", "manual-check",
                                               "two-months-ach"])
def test_complete_billing_settings_are_accepted(api, manager, org, fields) -> None:
    created = create(api, manager, org, **fields)
    assert created["billing_details"]["frequency"] == fields["billing_details"]["frequency"]


@pytest.mark.parametrize("query", ["sort_by=password", "sort_order=sideways", "status=deleted", "page=0",
                                   "pageSize=abc", "search=" + "x" * 101, "include_archived=maybe"])
def test_bad_list_parameters_are_422(api, manager, org, query) -> None:
    response = api.get(f"/api/v1/organizations/{org}/advertisers?{query}", headers=manager.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["location"] == "query"
