"""Monthly invoices for the "stripe-events" scenario: postpaid organizations with real sandbox traffic, invoiced
by the invoicing job and paid in Stripe, so `invoice.paid` events join the duplicated, reordered stream.

The arrangement is tests/integration/test_invoicing.py's `postpaid` fixture, made from its helpers.
"""

from __future__ import annotations

import datetime as dt
import uuid

from benchmarks.chaos.dependencies_stack import Stack, sql
from shared.adapters.stripe.client import get_stripe_client
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.services.invoicing import previous_month, run_monthly_invoices
from shared.services.usage_billing import run_daily_usage
from tests.integration.test_invoicing import stripe_invoices, with_card
from tests.reporting_rows import synced_advertiser_org, synced_affiliate_org

INVOICE_DAY = 3


def _make_org(org_type: str = "advertiser", name: str | None = None) -> int:
    rows = sql("INSERT INTO organizations (name, type) VALUES (:name, :type) RETURNING organization_id",
               name=name or f"Org {uuid.uuid4().hex[:6]}", type=org_type)
    return int(rows[0]["organization_id"])


def invoice_and_pay(stack: Stack, organizations: int) -> list[str]:
    """Accrue two days of last month's traffic per organization, run the invoicing job, pay; the invoice ids."""
    orgs = []
    for n in range(organizations):
        org = synced_advertiser_org(sql, _make_org, stack.everflow, f"Postpaid {n}", campaigns=1).organization_id
        synced_affiliate_org(sql, _make_org, stack.everflow, f"Publisher {n}")
        sql("UPDATE campaigns SET payout_type = 'cpc', payout_amount_cents = 15 WHERE organization_id = :org", org=org)
        with UnitOfWork(TenantScope.everything()) as uow:
            uow.billing_accounts.update(org, {"billing_mode": "postpaid", "invoice_day_of_month": INVOICE_DAY,
                                              "payment_terms_days": 15})
            uow.commit()
        with_card(org)
        orgs.append(org)
    today = dt.datetime.fromtimestamp(stack.everflow.state.now(), dt.UTC).date().replace(day=INVOICE_DAY)
    start, _ = previous_month(today)
    for day in (start, start + dt.timedelta(days=1)):
        run_daily_usage(day)
    run_monthly_invoices(today)
    paid = []
    for org in orgs:
        for invoice in stripe_invoices(org):
            get_stripe_client().v1.invoices.pay(invoice.id)
            paid.append(str(invoice.id))
    return paid
