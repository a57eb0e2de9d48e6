"""Monthly invoices of postpaid accounts against the Stripe sandbox: one invoice per period, the right total, once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import stripe

from shared.adapters.everflow.sandbox import SandboxServer
from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.sandbox import SandboxServer as StripeSandbox
from shared.adapters.stripe.sandbox import sign
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.ledger import InvoiceStatus, UsageStatus
from shared.domain.principal import TenantScope
from shared.services.billing_customers import ensure_customer
from shared.services.invoicing import previous_month, run_monthly_invoices
from shared.services.usage_billing import run_daily_usage
from tests.reporting_rows import synced_advertiser_org, synced_affiliate_org

Sql = Callable[..., list[dict[str, Any]]]


def uow() -> UnitOfWork:
    return UnitOfWork(TenantScope.everything())


@pytest.fixture
def postpaid(sql: Sql, make_org: Callable[..., int], sandbox: SandboxServer,
             stripe_sandbox: StripeSandbox) -> tuple[int, dt.date]:
    """A postpaid organization with two accrued days last month (real sandbox traffic); returns (org, invoice day)."""
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=1)
    synced_affiliate_org(sql, make_org, sandbox, "Publisher")
    sql("UPDATE campaigns SET payout_type = 'cpc', payout_amount_cents = 15 WHERE organization_id = :org",
        org=acme.organization_id)
    today = dt.datetime.fromtimestamp(sandbox.state.now(), dt.UTC).date().replace(day=3)
    with uow() as work:
        work.billing_accounts.update(acme.organization_id, {"billing_mode": "postpaid", "invoice_day_of_month": 3,
                                                            "payment_terms_days": 15})
        work.commit()
    start, _ = previous_month(today)
    for day in (start, start + dt.timedelta(days=1)):
        run_daily_usage(day)
    return acme.organization_id, today


def accrued_total(organization_id: int, today: dt.date) -> int:
    start, end = previous_month(today)
    with uow() as work:
        account = work.billing_accounts.get(organization_id)
        assert account is not None
        records = work.usage_records.list(organization_id, start, end, _page()).items
    return sum(r.amount_cents for r in records)


def stripe_invoices(organization_id: int) -> list[Any]:
    with uow() as work:
        account = work.billing_accounts.get(organization_id)
    assert account is not None and account.stripe_customer_id
    return list(get_stripe_client().v1.invoices.list(params={"customer": account.stripe_customer_id}).data)


def test_a_postpaid_month_becomes_one_stripe_invoice_and_a_rerun_creates_none(postpaid: tuple[int, dt.date]) -> None:
    org, today = postpaid
    total = accrued_total(org, today)
    with_card(org)

    first = run_monthly_invoices(today)
    second = run_monthly_invoices(today)

    invoices = stripe_invoices(org)
    assert len(invoices) == 1 and total > 0
    assert invoices[0].total == total and invoices[0].status == "open"
    assert invoices[0].collection_method == "charge_automatically"
    assert (first.invoiced, second.invoiced, second.already_invoiced) == (1, 0, 1)
    with uow() as work:
        ours = work.invoices.by_stripe_id(invoices[0].id)
        records = work.usage_records.list(org, *previous_month(today), _page()).items
    assert ours is not None and ours.total_cents == total and ours.status is InvoiceStatus.OPEN
    assert ours.invoice_number == invoices[0].number
    assert {r.status for r in records} == {UsageStatus.INVOICED}
    assert {r.invoice_id for r in records} == {ours.invoice_id}


def test_without_a_payment_method_the_invoice_is_sent_with_the_payment_terms(postpaid: tuple[int, dt.date]) -> None:
    org, today = postpaid

    run_monthly_invoices(today)

    (invoice,) = stripe_invoices(org)
    assert invoice.collection_method == "send_invoice" and invoice.days_until_due == 15
    assert invoice.total == accrued_total(org, today)


def test_apply_stripe_takes_newer_news_and_never_regresses_a_paid_invoice(postpaid: tuple[int, dt.date]) -> None:
    org, today = postpaid
    run_monthly_invoices(today)
    (invoice,) = stripe_invoices(org)
    paid_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

    with uow() as work:
        failed = work.invoices.apply_stripe(invoice.id, status=InvoiceStatus.OPEN, amount_paid_cents=0,
                                            amount_due_cents=invoice.total, paid_at=None, attempt_count=1,
                                            last_failure="card_declined", stripe_created=invoice.created + 10)
        paid = work.invoices.apply_stripe(invoice.id, status=InvoiceStatus.PAID, amount_paid_cents=invoice.total,
                                          amount_due_cents=0, paid_at=paid_at, attempt_count=2, last_failure=None,
                                          stripe_created=invoice.created + 5)
        late = work.invoices.apply_stripe(invoice.id, status=InvoiceStatus.OPEN, amount_paid_cents=0,
                                          amount_due_cents=invoice.total, paid_at=None, attempt_count=1,
                                          last_failure=None, stripe_created=invoice.created + 20)
        open_now = work.invoices.open_for(org)
        work.commit()

    assert failed is not None and failed.last_failure == "card_declined"
    assert paid is not None and paid.status is InvoiceStatus.PAID and paid.amount_paid_cents == invoice.total
    assert late is None and open_now == []


def with_card(organization_id: int, card: str = "pm_card_visa") -> None:
    account = ensure_customer(organization_id, uow=uow())
    method = get_stripe_client().v1.payment_methods.attach(card, params={"customer": account.stripe_customer_id or ""})
    with uow() as work:
        work.billing_accounts.set_default_payment_method(organization_id, str(method.id))
        work.commit()


def deliver(api: Any, event: dict[str, Any]) -> str:
    """The event through the webhook function, signed as Stripe signs it; the function's verdict."""
    body = json.dumps(event).encode()
    response = api.post("/api/v1/public/webhooks/stripe", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": sign(body, get_settings().stripe_webhook_secrets[0])})
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def test_a_paid_invoice_delivered_twice_is_mirrored_and_credited_once(
        postpaid: tuple[int, dt.date], api: Any, sql: Sql, stripe_sandbox: StripeSandbox) -> None:
    org, today = postpaid
    with_card(org)
    run_monthly_invoices(today)
    (invoice,) = stripe_invoices(org)
    owed = -int(sql("SELECT balance_cents FROM billing_accounts WHERE organization_id = :o", o=org)[0]["balance_cents"])

    get_stripe_client().v1.invoices.pay(invoice.id)
    (event,) = stripe_sandbox.events("invoice.paid")

    assert [deliver(api, event), deliver(api, event)] == ["processed", "duplicate"]
    with uow() as work:
        ours = work.invoices.by_stripe_id(invoice.id)
    assert ours is not None and ours.status is InvoiceStatus.PAID and ours.amount_paid_cents == invoice.total
    credits = sql("SELECT amount_cents, balance_after_cents FROM transactions WHERE organization_id = :o"
                  " AND type = 'invoice_payment'", o=org)
    assert owed == invoice.total > 0
    assert credits == [{"amount_cents": invoice.total, "balance_after_cents": 0}]


def test_a_failed_invoice_payment_is_recorded_and_books_nothing(
        postpaid: tuple[int, dt.date], api: Any, sql: Sql, stripe_sandbox: StripeSandbox) -> None:
    org, today = postpaid
    with_card(org, "pm_card_chargeCustomerFail")
    run_monthly_invoices(today)
    (invoice,) = stripe_invoices(org)
    with pytest.raises(stripe.CardError):
        get_stripe_client().v1.invoices.pay(invoice.id)
    (event,) = stripe_sandbox.events("invoice.payment_failed")

    assert deliver(api, event) == "processed"
    with uow() as work:
        ours = work.invoices.by_stripe_id(invoice.id)
    assert ours is not None and ours.status is InvoiceStatus.OPEN and ours.attempt_count == 1
    assert ours.last_failure
    assert sql("SELECT count(*) AS n FROM transactions WHERE type = 'invoice_payment'") == [{"n": 0}]


def _page() -> Any:
    from shared.domain.paging import PageRequest

    return PageRequest(1, 100)
