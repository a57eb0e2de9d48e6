"""billing-api: the organization's billing account, payment methods, recharges, ledger, usage and invoices.

The caller's own organization; Admin and PlatformOwner may name another with `?organization_id=`.
"""

from __future__ import annotations

import re

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.paging import PageRequest
from shared.http.errors import HttpError
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.billing_accounts import (
    BillingAccountRead,
    BillingConfigUpdate,
    BillingDashboardRead,
    BillingQuery,
    InvoiceRead,
    PaymentMethodCreate,
    PaymentMethodRead,
    PaymentRead,
    RechargeCreate,
    SetupIntentRead,
    TransactionListQuery,
    TransactionRead,
    UsageListQuery,
    UsageRecordRead,
    account_read,
    invoice_read,
    method_read,
    money,
    payment_read,
    transaction_read,
    usage_read,
)
from shared.services import billing, payment_methods, recharges
from shared.services.recharges import RechargeOutcome

router = Router("billing-api", tag="Billing")
BASE = "/api/v1/billing"
ID = "int(min=1, max=9223372036854775807)"
METHOD = f"{BASE}/payment-methods/<{ID}:payment_method_id>"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
DEFAULT_LIMIT = 20  # the original's transactions page


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


def _org(call: Call) -> int | None:
    return call.query.organization_id if call.query is not None else None


@router.route("GET", f"{BASE}/dashboard", action="billing.read", query=BillingQuery, response=BillingDashboardRead,
              summary="Billing overview: account, methods, recent entries, this month's spend, open items")
def dashboard(call: Call) -> BillingDashboardRead:
    board = billing.dashboard(_org(call), uow=_uow(call), actor=call.actor)
    currency = board.account.currency
    return BillingDashboardRead(
        billing_account=account_read(board.account),
        payment_methods=[method_read(m) for m in board.payment_methods],
        recent_transactions=[transaction_read(e) for e in board.recent_transactions],
        current_balance=money(board.account.balance_cents, currency),
        current_balance_cents=board.account.balance_cents,
        monthly_spend=money(board.monthly_spend_cents, currency), monthly_spend_cents=board.monthly_spend_cents,
        pending_invoices=[invoice_read(i) for i in board.pending_invoices],
        pending_payments=[payment_read(p) for p in board.pending_payments])


@router.route("GET", f"{BASE}/config", action="billing.read", query=BillingQuery, response=BillingAccountRead,
              summary="The billing account and its settings")
def get_config(call: Call) -> BillingAccountRead:
    return account_read(billing.get_account(_org(call), uow=_uow(call), actor=call.actor))


@router.route("PUT", f"{BASE}/config", action="billing.manage", query=BillingQuery, body=BillingConfigUpdate,
              response=BillingAccountRead,
              summary="Change billing settings (billing_mode and credit_limit: Admin only)")
def update_config(call: Call) -> BillingAccountRead:
    return account_read(billing.update_config(_org(call), call.body, uow=_uow(call), actor=call.actor))


@router.route("POST", f"{BASE}/payment-methods/setup-intent", action="billing.manage", query=BillingQuery,
              response=SetupIntentRead, status=201,
              summary="A SetupIntent for Stripe.js to save a card (we never see its number)")
def setup_intent(call: Call) -> SetupIntentRead:
    intent = payment_methods.create_setup_intent(_org(call), uow=_uow(call), actor=call.actor)
    return SetupIntentRead(setup_intent_id=intent.setup_intent_id, client_secret=intent.client_secret,
                           publishable_key=intent.publishable_key, status=intent.status)


@router.route("POST", f"{BASE}/payment-methods", action="billing.manage", query=BillingQuery,
              body=PaymentMethodCreate, response=PaymentMethodRead, status=201,
              summary="Save a payment method confirmed with Stripe.js (by setup_intent_id or payment_method_id)")
def add_method(call: Call) -> PaymentMethodRead:
    return method_read(payment_methods.add_payment_method(_org(call), call.body, uow=_uow(call), actor=call.actor))


@router.route("GET", f"{BASE}/payment-methods", action="billing.read", query=BillingQuery,
              response=list[PaymentMethodRead], summary="Active payment methods, the default first")
def list_methods(call: Call) -> list[PaymentMethodRead]:
    return [method_read(m) for m in payment_methods.list_payment_methods(_org(call), uow=_uow(call),
                                                                         actor=call.actor)]


@router.route("PUT", f"{METHOD}/default", action="billing.manage", query=BillingQuery, response=PaymentMethodRead,
              summary="Make a payment method the default (also for Stripe invoices)")
def set_default(call: Call) -> PaymentMethodRead:
    return method_read(payment_methods.set_default(_org(call), call.params["payment_method_id"], uow=_uow(call),
                                                   actor=call.actor))


@router.route("DELETE", METHOD, action="billing.manage", query=BillingQuery, status=204,
              summary="Remove a payment method (detached in Stripe)")
def remove_method(call: Call) -> None:
    payment_methods.remove_payment_method(_org(call), call.params["payment_method_id"], uow=_uow(call),
                                          actor=call.actor)


@router.route("POST", f"{BASE}/recharge", action="billing.manage", query=BillingQuery, body=RechargeCreate,
              response=PaymentRead, status=201,
              summary="Top up the balance by card; send an Idempotency-Key to retry safely")
def recharge(call: Call) -> PaymentRead:
    outcome = recharges.recharge(_org(call), call.body, _idempotency_key(call), uow=_uow(call), actor=call.actor)
    return _payment(outcome)


@router.route("GET", f"{BASE}/payments/<{ID}:payment_id>", action="billing.read", query=BillingQuery,
              response=PaymentRead, summary="A recharge's state (poll it after 3-D Secure)")
def get_payment(call: Call) -> PaymentRead:
    return _payment(recharges.get_payment(_org(call), call.params["payment_id"], uow=_uow(call), actor=call.actor))


@router.route("GET", f"{BASE}/transactions", action="billing.read", query=TransactionListQuery,
              response=list[TransactionRead], paged=True,
              summary="Ledger entries, newest first (?limit=20&offset=0, or page/page_size)")
def list_transactions(call: Call) -> Reply:
    result = billing.list_transactions(_org(call), _transactions_page(call), uow=_uow(call), actor=call.actor)
    return Reply([transaction_read(e) for e in result.items], headers=page_headers(result))


@router.route("GET", f"{BASE}/usage", action="billing.read", query=UsageListQuery, response=list[UsageRecordRead],
              paged=True, summary="Daily usage records, newest first (?start_date&end_date)")
def list_usage(call: Call) -> Reply:
    result = billing.list_usage(_org(call), call.query.start_date, call.query.end_date, call.page, uow=_uow(call),
                                actor=call.actor)
    return Reply([usage_read(r) for r in result.items], headers=page_headers(result))


@router.route("GET", f"{BASE}/invoices", action="billing.read", query=BillingQuery, response=list[InvoiceRead],
              paged=True, summary="Monthly invoices, newest first")
def list_invoices(call: Call) -> Reply:
    result = billing.list_invoices(_org(call), call.page, uow=_uow(call), actor=call.actor)
    return Reply([invoice_read(i) for i in result.items], headers=page_headers(result))


def _payment(outcome: RechargeOutcome) -> PaymentRead:
    return payment_read(outcome.payment, outcome.entry, client_secret=outcome.client_secret,
                        next_action=outcome.next_action)


def _idempotency_key(call: Call) -> str:
    """The client's Idempotency-Key, else one of this request (a retry without a key is a new recharge)."""
    key = call.request.headers.get("Idempotency-Key")
    if key is None:
        return f"request:{call.actor.request_id}"
    if not IDEMPOTENCY_KEY.match(key):
        raise HttpError(422, "validation_failed", "The request is not valid.", details=[
            {"field": "Idempotency-Key", "location": "header",
             "message": "must be 1 to 200 printable ASCII characters without spaces"}])
    return f"key:{key}"


def _transactions_page(call: Call) -> PageRequest:
    """The original's limit/offset when given (or nothing is), else the platform's page/page_size."""
    query: TransactionListQuery = call.query
    args = call.request.args
    if query.limit is None and query.offset is None and ("page" in args or "page_size" in args or "pageSize" in args):
        return call.page
    return billing.offset_page(query.limit or DEFAULT_LIMIT, query.offset or 0)


@functions_framework.http
def billing_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
