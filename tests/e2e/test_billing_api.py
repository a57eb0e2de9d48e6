"""The billing API over HTTP against the Stripe sandbox: the account and its settings, payment methods saved
through SetupIntents (or a `pm_` id), recharges that credit the balance once, whatever is retried or declined."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from shared.adapters.stripe.client import get_stripe_client
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from shared.services.billing_customers import ensure_customer
from tests.conftest import User

BILLING = "/api/v1/billing"


@dataclass(frozen=True)
class Shop:
    org: int
    manager: User
    member: User


@pytest.fixture
def shop(make_org, make_user, stripe_sandbox) -> Shop:
    org = make_org("advertiser", name="Acme Shoes")
    return Shop(org, make_user(Role.ADVERTISER_MANAGER, org), make_user(Role.USER, org))


@pytest.fixture
def admin(make_user, make_org) -> User:
    return make_user(Role.ADMIN, make_org("platform_owner"))


def add_card(api, shop: Shop, card: str = "pm_card_visa", **body) -> dict:
    response = api.post(f"{BILLING}/payment-methods", json={"payment_method_id": card, **body},
                        headers=shop.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def recharge(api, shop: Shop, amount="25.00", key: str | None = None, **body) -> requests.Response:
    headers = {**shop.manager.headers, **({"Idempotency-Key": key} if key else {})}
    return api.post(f"{BILLING}/recharge", json={"amount": amount, **body}, headers=headers)


def config(api, shop: Shop) -> dict:
    response = api.get(f"{BILLING}/config", headers=shop.manager.headers)
    assert response.status_code == 200, response.text
    return response.json()


def ledger(sql, org: int) -> list[dict]:
    return sql("SELECT type, amount_cents, balance_after_cents, entry_key FROM transactions"
               " WHERE organization_id = :org ORDER BY transaction_id", org=org)


def add_invoices(sql, org: int) -> None:
    """January's invoice paid, February's open."""
    sql("INSERT INTO invoices (organization_id, billing_account_id, period_start, period_end, currency, total_cents,"
        " amount_paid_cents, amount_due_cents, status) SELECT :org, billing_account_id, p.s, p.e, 'USD', p.total,"
        " p.paid, p.total - p.paid, p.status FROM billing_accounts, (VALUES"
        " (DATE '2026-01-01', DATE '2026-01-31', 8000, 8000, 'paid'),"
        " (DATE '2026-02-01', DATE '2026-02-28', 12000, 0, 'open')) AS p(s, e, total, paid, status)"
        " WHERE organization_id = :org", org=org)


def intents_created(stripe_sandbox) -> int:
    return int(stripe_sandbox.calls()["calls"].get("POST /v1/payment_intents", 0))


# --- the account --------------------------------------------------------------------------------------------

def test_an_organization_created_through_the_api_gets_its_account_and_one_stripe_customer(
        api, make_user, stripe_sandbox, sql) -> None:
    founder = make_user(Role.USER)
    created = api.post("/api/v1/organizations", json={"name": "Blue Bikes", "type": "advertiser",
                                                      "contact_email": "billing@bluebikes.example"},
                       headers=founder.headers)
    assert created.status_code == 201, created.text
    local_bus().wait_idle(30)
    [account] = sql("SELECT stripe_customer_id, billing_email, balance_cents FROM billing_accounts"
                    " WHERE organization_id = :org", org=created.json()["organization_id"])
    customer = stripe_sandbox.get(str(account["stripe_customer_id"]))
    assert (account["billing_email"], account["balance_cents"]) == ("billing@bluebikes.example", 0)
    assert (customer["email"], customer["name"], customer["metadata"]["organization_id"]) == (
        "billing@bluebikes.example", "Blue Bikes", str(created.json()["organization_id"]))
    assert len(stripe_sandbox.events("customer.created")) == 1


def test_concurrent_first_uses_end_with_one_stripe_customer(shop, stripe_sandbox, sql) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        accounts = list(pool.map(lambda _: ensure_customer(shop.org, uow=UnitOfWork(TenantScope.everything())),
                                 range(4)))
    [stored] = sql("SELECT stripe_customer_id FROM billing_accounts WHERE organization_id = :org", org=shop.org)
    assert {a.stripe_customer_id for a in accounts} == {stored["stripe_customer_id"]}
    assert len(stripe_sandbox.events("customer.created")) == 1


def test_the_config_shows_the_account_with_money_as_decimals_and_cents(api, shop) -> None:
    account = config(api, shop)
    assert {k: account[k] for k in ("organization_id", "billing_mode", "currency", "balance", "balance_cents",
                                    "credit_limit", "auto_recharge_enabled", "invoice_day_of_month",
                                    "payment_terms_days", "status")} == {
        "organization_id": shop.org, "billing_mode": "prepaid", "currency": "USD", "balance": "0.00",
        "balance_cents": 0, "credit_limit": "0.00", "auto_recharge_enabled": False, "invoice_day_of_month": 1,
        "payment_terms_days": 30, "status": "active"}


def test_a_manager_configures_auto_recharge_and_the_change_is_audited(api, shop, sql) -> None:
    response = api.put(f"{BILLING}/config", json={
        "auto_recharge_enabled": True, "auto_recharge_threshold": "10.00", "auto_recharge_amount": 50,
        "invoice_day_of_month": 28, "payment_terms_days": 0}, headers=shop.manager.headers)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("auto_recharge_enabled", "auto_recharge_threshold",
                                            "auto_recharge_threshold_cents", "auto_recharge_amount",
                                            "invoice_day_of_month", "payment_terms_days")} == {
        "auto_recharge_enabled": True, "auto_recharge_threshold": "10.00", "auto_recharge_threshold_cents": 1000,
        "auto_recharge_amount": "50.00", "invoice_day_of_month": 28, "payment_terms_days": 0}
    [audit] = sql("SELECT action, changes FROM audit_log WHERE action = 'billing_account.update'"
                  " AND organization_id = :org", org=shop.org)
    assert audit["changes"]["auto_recharge_amount"] == {"before": "0.00", "after": "50.00"}


@pytest.mark.parametrize("body", [
    {"invoice_day_of_month": 29},
    {"invoice_day_of_month": 0},
    {"payment_terms_days": 121},
    {"auto_recharge_threshold": "-1"},
    {"auto_recharge_amount": "10.005"},
    {"auto_recharge_enabled": True},  # no amount to recharge by
    {"auto_recharge_enabled": True, "auto_recharge_amount": 0},
    {"billing_email": "not-an-email"},
    {"billing_mode": "monthly"},
    {"billing_mode": None},
    {"auto_recharge_amount": "NaN"},
    {"balance": "1000.00"},  # the balance moves only through the ledger
])
def test_an_invalid_setting_is_a_422_and_changes_nothing(api, shop, body) -> None:
    before = config(api, shop)
    response = api.put(f"{BILLING}/config", json=body, headers=shop.manager.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "validation_failed"), response.text
    assert config(api, shop) == before


@pytest.mark.parametrize("body", [{"billing_mode": "postpaid"}, {"credit_limit": "500.00"}])
def test_postpaid_and_credit_limits_need_an_admin(api, shop, admin, body) -> None:
    before = config(api, shop)
    refused = api.put(f"{BILLING}/config", json=body, headers=shop.manager.headers)
    assert (refused.status_code, config(api, shop)) == (403, before)
    allowed = api.put(f"{BILLING}/config?organization_id={shop.org}", json=body, headers=admin.headers)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["billing_mode"] == body.get("billing_mode", "prepaid")
    assert allowed.json()["credit_limit"] == body.get("credit_limit", "0.00")


def test_a_new_billing_email_reaches_the_stripe_customer(api, shop, stripe_sandbox) -> None:
    add_card(api, shop)  # the customer exists from the first card on
    response = api.put(f"{BILLING}/config", json={"billing_email": "ap@acme.example"}, headers=shop.manager.headers)
    assert response.status_code == 200, response.text
    assert stripe_sandbox.get(response.json()["stripe_customer_id"])["email"] == "ap@acme.example"


def test_a_user_without_an_organization_has_no_billing_and_plain_users_may_not_read_it(
        api, make_user, shop) -> None:
    loner = make_user(Role.ADVERTISER_MANAGER)
    missing = api.get(f"{BILLING}/dashboard", headers=loner.headers)
    assert (missing.status_code, "no organization" in missing.json()["error"]["message"]) == (404, True)
    assert api.get(f"{BILLING}/dashboard", headers=shop.member.headers).status_code == 403
    foreign = api.get(f"{BILLING}/config?organization_id={shop.org}", headers=loner.headers)
    assert foreign.status_code == 404


# --- payment methods ----------------------------------------------------------------------------------------

def test_a_card_confirmed_through_a_setup_intent_is_saved_as_the_default(api, shop, stripe_sandbox) -> None:
    created = api.post(f"{BILLING}/payment-methods/setup-intent", headers=shop.manager.headers)
    assert created.status_code == 201, created.text
    intent = created.json()
    assert intent["client_secret"].startswith(intent["setup_intent_id"])
    assert intent["publishable_key"] == stripe_sandbox.publishable_key
    get_stripe_client().v1.setup_intents.confirm(intent["setup_intent_id"],
                                                 params={"payment_method": "pm_card_mastercard"})  # Stripe.js
    saved = api.post(f"{BILLING}/payment-methods", json={"setup_intent_id": intent["setup_intent_id"],
                                                          "nickname": "Office card"}, headers=shop.manager.headers)
    assert saved.status_code == 201, saved.text
    method = saved.json()
    assert {k: method[k] for k in ("type", "brand", "last4", "nickname", "is_default", "status")} == {
        "type": "card", "brand": "mastercard", "last4": "4444", "nickname": "Office card", "is_default": True,
        "status": "active"}
    customer = stripe_sandbox.get(config(api, shop)["stripe_customer_id"])
    assert customer["invoice_settings"]["default_payment_method"] == method["stripe_payment_method_id"]


def test_an_unconfirmed_or_foreign_setup_intent_saves_nothing(api, shop, make_org, make_user) -> None:
    other_org = make_org("advertiser")
    other = Shop(other_org, make_user(Role.ADVERTISER_MANAGER, other_org), make_user(Role.USER, other_org))
    theirs = api.post(f"{BILLING}/payment-methods/setup-intent", headers=other.manager.headers).json()
    get_stripe_client().v1.setup_intents.confirm(theirs["setup_intent_id"], params={"payment_method": "pm_card_visa"})
    mine = api.post(f"{BILLING}/payment-methods/setup-intent", headers=shop.manager.headers).json()
    foreign = api.post(f"{BILLING}/payment-methods", json={"setup_intent_id": theirs["setup_intent_id"]},
                       headers=shop.manager.headers)
    unconfirmed = api.post(f"{BILLING}/payment-methods", json={"setup_intent_id": mine["setup_intent_id"]},
                           headers=shop.manager.headers)
    assert (foreign.status_code, unconfirmed.status_code) == (404, 409)
    assert api.get(f"{BILLING}/payment-methods", headers=shop.manager.headers).json() == []


def test_a_pm_id_is_attached_listed_default_first_and_the_default_can_move(api, shop, stripe_sandbox) -> None:
    visa = add_card(api, shop)
    amex = add_card(api, shop, "pm_card_amex", nickname="Backup")
    listed = api.get(f"{BILLING}/payment-methods", headers=shop.manager.headers).json()
    assert [(m["brand"], m["is_default"]) for m in listed] == [("visa", True), ("amex", False)]
    moved = api.put(f"{BILLING}/payment-methods/{amex['payment_method_id']}/default", headers=shop.manager.headers)
    assert (moved.status_code, moved.json()["is_default"]) == (200, True)
    listed = api.get(f"{BILLING}/payment-methods", headers=shop.manager.headers).json()
    assert [m["brand"] for m in listed] == ["amex", "visa"]
    account = config(api, shop)
    assert account["default_payment_method_id"] == amex["stripe_payment_method_id"]
    assert stripe_sandbox.get(account["stripe_customer_id"])["invoice_settings"]["default_payment_method"] == amex[
        "stripe_payment_method_id"]
    assert stripe_sandbox.get(visa["stripe_payment_method_id"])["customer"] == account["stripe_customer_id"]


def test_removing_the_default_detaches_it_and_the_default_passes_on(api, shop, stripe_sandbox, sql) -> None:
    visa = add_card(api, shop)
    amex = add_card(api, shop, "pm_card_amex")
    removed = api.delete(f"{BILLING}/payment-methods/{visa['payment_method_id']}", headers=shop.manager.headers)
    assert removed.status_code == 204, removed.text
    assert stripe_sandbox.get(visa["stripe_payment_method_id"])["customer"] is None
    listed = api.get(f"{BILLING}/payment-methods", headers=shop.manager.headers).json()
    assert [(m["payment_method_id"], m["is_default"]) for m in listed] == [(amex["payment_method_id"], True)]
    customer = stripe_sandbox.get(config(api, shop)["stripe_customer_id"])
    assert customer["invoice_settings"]["default_payment_method"] == amex["stripe_payment_method_id"]
    last = api.delete(f"{BILLING}/payment-methods/{amex['payment_method_id']}", headers=shop.manager.headers)
    assert (last.status_code, config(api, shop)["default_payment_method_id"]) == (204, None)
    assert [r["status"] for r in sql("SELECT status FROM payment_methods WHERE organization_id = :org",
                                     org=shop.org)] == ["inactive", "inactive"]


def test_another_organizations_method_is_a_404_and_stays(api, shop, make_org, make_user) -> None:
    other_org = make_org("advertiser")
    other = Shop(other_org, make_user(Role.ADVERTISER_MANAGER, other_org), make_user(Role.USER, other_org))
    theirs = add_card(api, other)
    path = f"{BILLING}/payment-methods/{theirs['payment_method_id']}"
    assert api.delete(path, headers=shop.manager.headers).status_code == 404
    assert api.put(f"{path}/default", headers=shop.manager.headers).status_code == 404
    assert len(api.get(f"{BILLING}/payment-methods", headers=other.manager.headers).json()) == 1


def test_a_pm_id_of_another_customer_is_refused(api, shop, make_org, make_user) -> None:
    other_org = make_org("advertiser")
    other = Shop(other_org, make_user(Role.ADVERTISER_MANAGER, other_org), make_user(Role.USER, other_org))
    theirs = add_card(api, other)
    stolen = api.post(f"{BILLING}/payment-methods", json={"payment_method_id": theirs["stripe_payment_method_id"]},
                      headers=shop.manager.headers)
    assert stolen.status_code == 404
    assert api.get(f"{BILLING}/payment-methods", headers=shop.manager.headers).json() == []


# --- recharges ----------------------------------------------------------------------------------------------

def test_a_recharge_credits_the_balance_once_it_succeeded(api, shop, sql) -> None:
    add_card(api, shop)
    response = recharge(api, shop, "25.00", description="Top up")
    assert response.status_code == 201, response.text
    payment = response.json()
    assert {k: payment[k] for k in ("type", "amount", "amount_cents", "currency", "status", "client_secret")} == {
        "type": "recharge", "amount": "25.00", "amount_cents": 2500, "currency": "USD", "status": "succeeded",
        "client_secret": None}
    assert payment["transaction"]["amount"] == "25.00"
    assert payment["transaction"]["balance_after"] == "25.00"
    assert config(api, shop)["balance"] == "25.00"
    assert ledger(sql, shop.org) == [{"type": "recharge", "amount_cents": 2500, "balance_after_cents": 2500,
                                      "entry_key": f"payment:{payment['payment_id']}"}]


def test_the_same_idempotency_key_replays_the_recharge_and_another_body_is_a_409(
        api, shop, sql, stripe_sandbox) -> None:
    add_card(api, shop)
    first = recharge(api, shop, "10.00", key="order-7")
    again = recharge(api, shop, "10.00", key="order-7")
    other = recharge(api, shop, "11.00", key="order-7")
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.json()["transaction"] == first.json()["transaction"]
    assert (config(api, shop)["balance_cents"], len(ledger(sql, shop.org)), intents_created(stripe_sandbox)) == (
        1000, 1, 1)


def test_recharges_without_a_key_are_separate_payments(api, shop, sql) -> None:
    add_card(api, shop)
    assert recharge(api, shop, "1.00").status_code == 201
    assert recharge(api, shop, 2).status_code == 201
    assert [e["amount_cents"] for e in ledger(sql, shop.org)] == [100, 200]


def test_a_card_needing_3d_secure_returns_the_client_secret_and_credits_after_authentication(
        api, shop, sql, stripe_sandbox) -> None:
    add_card(api, shop, "pm_card_authenticationRequired")
    response = recharge(api, shop, "40.00")
    assert response.status_code == 201, response.text
    payment = response.json()
    assert (payment["status"], payment["transaction"]) == ("requires_action", None)
    assert payment["client_secret"].startswith(payment["stripe_payment_intent_id"])
    assert payment["next_action"]["type"] == "use_stripe_sdk"
    waiting = api.get(f"{BILLING}/payments/{payment['payment_id']}", headers=shop.manager.headers).json()
    assert (waiting["status"], config(api, shop)["balance"]) == ("requires_action", "0.00")
    done = requests.post(f"{stripe_sandbox.base_url}/__sandbox/payment_intents/"
                         f"{payment['stripe_payment_intent_id']}/authenticate", json={"outcome": "succeed"}, timeout=5)
    assert done.status_code == 200, done.text
    polled = api.get(f"{BILLING}/payments/{payment['payment_id']}", headers=shop.manager.headers)
    assert (polled.status_code, polled.json()["status"], polled.json()["transaction"]["amount"]) == (
        200, "succeeded", "40.00")
    api.get(f"{BILLING}/payments/{payment['payment_id']}", headers=shop.manager.headers)
    assert (config(api, shop)["balance"], len(ledger(sql, shop.org))) == ("40.00", 1)


@pytest.mark.parametrize(("card", "decline_code"), [("pm_card_chargeDeclined", "generic_decline"),
                                                    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")])
def test_a_declined_card_is_a_402_with_the_decline_code_and_a_failed_payment(
        api, shop, sql, card, decline_code) -> None:
    add_card(api, shop, card)
    response = recharge(api, shop, "30.00", key="declined")
    assert response.status_code == 402, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["decline_code"]) == ("payment_declined", decline_code)
    [payment] = sql("SELECT status, failure_code FROM payments WHERE organization_id = :org", org=shop.org)
    assert payment == {"status": "failed", "failure_code": decline_code}
    assert recharge(api, shop, "30.00", key="declined").status_code == 402  # the replay tells the same
    assert (config(api, shop)["balance"], ledger(sql, shop.org)) == ("0.00", [])


def test_stripe_down_is_a_503_and_the_same_key_resumes_the_pending_payment(api, shop, sql, stripe_sandbox) -> None:
    add_card(api, shop)
    stripe_sandbox.inject_faults(status=503, times=10)
    down = recharge(api, shop, "15.00", key="retry-me")
    assert down.status_code == 503, down.text
    assert [r["status"] for r in sql("SELECT status FROM payments WHERE organization_id = :org", org=shop.org)] == [
        "pending"]
    assert config(api, shop)["balance"] == "0.00"
    stripe_sandbox.inject_faults(status=0, times=0)
    resumed = recharge(api, shop, "15.00", key="retry-me")
    assert (resumed.status_code, resumed.json()["status"]) == (201, "succeeded"), resumed.text
    assert (config(api, shop)["balance"], len(ledger(sql, shop.org))) == ("15.00", 1)


def test_a_key_whose_payment_never_reached_stripe_within_the_hour_is_a_409_and_charges_nothing(
        api, shop, sql, stripe_sandbox) -> None:
    add_card(api, shop)
    stripe_sandbox.inject_faults(status=503, times=10)
    assert recharge(api, shop, "15.00", key="too-late").status_code == 503
    stripe_sandbox.inject_faults(status=0, times=0)
    sql("UPDATE payments SET created_at = now() - interval '61 minutes' WHERE organization_id = :org", org=shop.org)
    attempts = intents_created(stripe_sandbox)

    late = recharge(api, shop, "15.00", key="too-late")

    assert late.status_code == 409, late.text
    assert "new Idempotency-Key" in late.json()["error"]["message"]
    assert intents_created(stripe_sandbox) == attempts and config(api, shop)["balance"] == "0.00"


@pytest.mark.parametrize(("body", "status"), [
    ({"amount": "10.005"}, 422),
    ({"amount": "0"}, 422),
    ({"amount": "-5"}, 422),
    ({"amount": "NaN"}, 422),
    ({"amount": "1000000.00"}, 422),
    ({"amount": "10.00", "currency": "EUR"}, 422),
    ({"amount": "10.00", "payment_method_id": "pm_nobodys"}, 404),
    ({"currency": "USD"}, 422),
])
def test_an_invalid_recharge_is_refused_and_charges_nothing(api, shop, sql, stripe_sandbox, body, status) -> None:
    add_card(api, shop)
    response = api.post(f"{BILLING}/recharge", json=body, headers=shop.manager.headers)
    assert response.status_code == status, response.text
    assert sql("SELECT payment_id FROM payments WHERE organization_id = :org", org=shop.org) == []
    assert intents_created(stripe_sandbox) == 0


def test_a_malformed_idempotency_key_is_a_422(api, shop, sql) -> None:
    add_card(api, shop)
    response = recharge(api, shop, "10.00", key="has spaces in it")
    assert (response.status_code, response.json()["error"]["details"][0]["field"]) == (422, "Idempotency-Key")
    assert sql("SELECT payment_id FROM payments WHERE organization_id = :org", org=shop.org) == []


def test_a_recharge_without_any_payment_method_is_a_422(api, shop) -> None:
    response = recharge(api, shop, "10.00")
    assert (response.status_code, "payment method" in response.json()["error"]["message"]) == (422, True)


def test_a_suspended_account_may_not_recharge(api, shop, sql) -> None:
    add_card(api, shop)
    sql("UPDATE billing_accounts SET status = 'suspended' WHERE organization_id = :org", org=shop.org)
    assert recharge(api, shop, "10.00").status_code == 409


def test_another_organizations_payment_is_a_404(api, shop, make_org, make_user) -> None:
    other_org = make_org("advertiser")
    other = Shop(other_org, make_user(Role.ADVERTISER_MANAGER, other_org), make_user(Role.USER, other_org))
    add_card(api, other)
    theirs = recharge(api, other, "5.00").json()
    assert api.get(f"{BILLING}/payments/{theirs['payment_id']}", headers=shop.manager.headers).status_code == 404


def test_an_admin_recharges_another_organization_by_naming_it(api, shop, admin) -> None:
    add_card(api, shop)
    response = api.post(f"{BILLING}/recharge?organization_id={shop.org}", json={"amount": "3.00"},
                        headers=admin.headers)
    assert response.status_code == 201, response.text
    assert config(api, shop)["balance"] == "3.00"


# --- lists and the dashboard --------------------------------------------------------------------------------

def test_transactions_keep_the_originals_limit_and_offset_and_carry_paging_headers(api, shop) -> None:
    add_card(api, shop)
    for amount in range(1, 6):
        assert recharge(api, shop, amount).status_code == 201
    path = f"{BILLING}/transactions"
    window = api.get(f"{path}?limit=2&offset=1", headers=shop.manager.headers)
    assert window.status_code == 200, window.text
    assert [t["amount"] for t in window.json()] == ["4.00", "3.00"]
    assert window.headers["X-Total-Count"] == "5"
    paged = api.get(f"{path}?page=2&page_size=2", headers=shop.manager.headers)
    assert [t["amount"] for t in paged.json()] == ["3.00", "2.00"]
    assert [t["balance_after"] for t in api.get(path, headers=shop.manager.headers).json()] == [
        "15.00", "10.00", "6.00", "3.00", "1.00"]
    assert api.get(f"{path}?limit=101", headers=shop.manager.headers).status_code == 422


def test_the_dashboard_sums_up_the_account(api, shop, sql) -> None:
    add_invoices(sql, shop.org)
    secure = add_card(api, shop, "pm_card_authenticationRequired")
    add_card(api, shop, set_as_default=True)
    recharge(api, shop, "12.50")
    waiting = recharge(api, shop, "7.00", payment_method_id=secure["stripe_payment_method_id"]).json()
    response = api.get(f"{BILLING}/dashboard", headers=shop.manager.headers)
    assert response.status_code == 200, response.text
    board = response.json()
    assert (board["current_balance"], board["current_balance_cents"], board["monthly_spend"]) == (
        "12.50", 1250, "0.00")
    assert [t["amount"] for t in board["recent_transactions"]] == ["12.50"]
    assert [(m["last4"], m["is_default"]) for m in board["payment_methods"]] == [("4242", True), ("3184", False)]
    assert [(p["payment_id"], p["status"]) for p in board["pending_payments"]] == [
        (waiting["payment_id"], "requires_action")]
    assert [i["period_start"] for i in board["pending_invoices"]] == ["2026-02-01"]
    assert board["billing_account"]["organization_id"] == shop.org


def test_usage_is_listed_newest_first_within_the_dates_and_invoices_are_listed(api, shop, sql) -> None:
    sql("INSERT INTO usage_records (organization_id, billing_account_id, usage_date, clicks, conversions,"
        " affiliate_payout_cents, platform_fee_cents, amount_cents, currency, status)"
        " SELECT :org, billing_account_id, d::date, 10, 1, 900, 100, 1000, 'USD', 'billed'"
        " FROM billing_accounts, generate_series(DATE '2026-01-30', DATE '2026-02-02', INTERVAL '1 day') AS d"
        " WHERE organization_id = :org", org=shop.org)
    usage = api.get(f"{BILLING}/usage?start_date=2026-01-31&end_date=2026-02-01", headers=shop.manager.headers)
    assert usage.status_code == 200, usage.text
    assert [(u["usage_date"], u["amount"], u["platform_fee"]) for u in usage.json()] == [
        ("2026-02-01", "10.00", "1.00"), ("2026-01-31", "10.00", "1.00")]
    assert usage.headers["X-Total-Count"] == "2"
    add_invoices(sql, shop.org)
    invoices = api.get(f"{BILLING}/invoices", headers=shop.manager.headers)
    assert invoices.status_code == 200, invoices.text
    assert [(i["period_start"], i["status"], i["total_amount"], i["amount_due"]) for i in invoices.json()] == [
        ("2026-02-01", "open", "120.00", "120.00"), ("2026-01-01", "paid", "80.00", "0.00")]
    reversed_range = api.get(f"{BILLING}/usage?start_date=2026-02-01&end_date=2026-01-01",
                             headers=shop.manager.headers)
    assert reversed_range.status_code == 422
