"""Invoice items and invoices: draft -> open (finalize) -> paid (pay charges the default method) or void."""

from __future__ import annotations

import secrets

from shared.adapters.stripe import sandbox_cards as cards
from shared.adapters.stripe import sandbox_payments as payments
from shared.adapters.stripe.sandbox_customers import Call
from shared.adapters.stripe.sandbox_forms import boolean, currency, integer, list_object, merge_metadata, text
from shared.adapters.stripe.sandbox_state import Json, Store, StripeError, from_template, new_id, unexpected_state

DAY_S = 86_400


def create_invoice_item(call: Call) -> Json:
    p, store = call.params, call.store
    customer_id = text(p, "customer", required=True) or ""
    store.get(customer_id, "customer", "customer")
    amount = integer(p, "amount", required=True)
    now = store.now()
    item = from_template("invoiceitem", {
        "id": new_id("ii"), "date": now, "customer": customer_id, "amount": amount, "currency": currency(p),
        "description": text(p, "description"), "invoice": text(p, "invoice"), "net_amount": amount,
        "metadata": merge_metadata({}, p.get("metadata")), "period": {"start": now, "end": now},
        "parent": None, "quantity_decimal": "1", "created": now,
    })
    if item["invoice"]:
        _add_line(store, store.get(item["invoice"], "invoice", "invoice"), item)
    store.put(item)
    store.emit("invoiceitem.created", item)
    return item


def create_invoice(call: Call) -> Json:
    p, store = call.params, call.store
    customer = store.get(text(p, "customer", required=True) or "", "customer", "customer")
    method = text(p, "collection_method") or "charge_automatically"
    days = integer(p, "days_until_due", minimum=1)
    if method == "send_invoice" and days is None:
        raise StripeError(400, "Invoices with `send_invoice` collection must have `days_until_due`.",
                          param="days_until_due")
    now = store.now()
    invoice_id = new_id("in")
    invoice = from_template("invoice", {
        "id": invoice_id, "created": now, "customer": customer["id"], "customer_email": customer["email"],
        "customer_name": customer["name"], "collection_method": method, "auto_advance": boolean(p, "auto_advance"),
        "description": text(p, "description"), "metadata": merge_metadata({}, p.get("metadata")),
        "currency": (text(p, "currency") or "usd").lower(), "status": "draft", "number": None,
        "amount_due": 0, "amount_paid": 0, "amount_remaining": 0, "subtotal": 0, "total": 0,
        "subtotal_excluding_tax": 0, "total_excluding_tax": 0, "amount_overpaid": 0, "attempt_count": 0,
        "attempted": False, "due_date": None, "days_until_due": days, "effective_at": None,
        "default_payment_method": text(p, "default_payment_method"), "from_invoice": None, "parent": None,
        "last_finalization_error": None, "next_payment_attempt": None, "webhooks_delivered_at": None,
        "period_start": now, "period_end": now, "shipping_cost": None, "hosted_invoice_url": None,
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "lines": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                  "url": f"/v1/invoices/{invoice_id}/lines"},
    })
    store.put(invoice)
    if (text(p, "pending_invoice_items_behavior") or "exclude") == "include":
        for item in reversed(store.of_kind("invoiceitem", customer=customer["id"], invoice=None)):
            if item["currency"] == invoice["currency"] or not invoice["lines"]["data"]:
                invoice["currency"] = item["currency"]
                _add_line(store, invoice, item)
    store.emit("invoice.created", invoice)
    return invoice


def _add_line(store: Store, invoice: Json, item: Json) -> None:
    if invoice["status"] != "draft":
        raise unexpected_state("You can only add invoice items to draft invoices.", "invoice_not_editable")
    item["invoice"] = invoice["id"]
    line = from_template("line_item", {
        "id": new_id("il"), "amount": item["amount"], "currency": item["currency"],
        "description": item["description"], "invoice": invoice["id"], "metadata": dict(item["metadata"]),
        "period": dict(item["period"]), "quantity": 1, "subtotal": item["amount"], "pretax_credit_amounts": [],
        "taxes": [], "parent": {"type": "invoice_item_details", "subscription_item_details": None,
                                "invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                                         "proration_details": None, "subscription": None}},
    })
    lines = invoice["lines"]
    lines["data"].append(line)
    lines["total_count"] = len(lines["data"])
    total = sum(int(li["amount"]) for li in lines["data"])
    invoice |= {"subtotal": total, "subtotal_excluding_tax": total, "total": total, "total_excluding_tax": total,
                "amount_due": total, "amount_remaining": total}


def read_invoice(call: Call) -> Json:
    return call.store.get(call.id, "invoice")


def list_invoices(call: Call) -> Json:
    where = {k: call.params[k] for k in ("customer", "status", "collection_method") if call.params.get(k)}
    return list_object("/v1/invoices", call.store.of_kind("invoice", **where), call.params)


def finalize_invoice(call: Call) -> Json:
    return finalize(call.store, call.store.get(call.id, "invoice"))


def finalize(store: Store, invoice: Json) -> Json:
    if invoice["status"] != "draft":
        raise unexpected_state("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                               "invoice_unexpected_state")
    customer = store.get(invoice["customer"], "customer")
    now = store.now()
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    invoice |= {"status": "open", "effective_at": now, "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice['id']}"}
    invoice["status_transitions"]["finalized_at"] = now
    if invoice["collection_method"] == "send_invoice":
        invoice["due_date"] = now + DAY_S * int(invoice["days_until_due"] or 30)
    store.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:  # Stripe marks an empty invoice paid as it finalizes it
        _mark_paid(store, invoice, out_of_band=False)
    return invoice


def pay_invoice(call: Call) -> Json:
    store, p = call.store, call.params
    invoice = store.get(call.id, "invoice")
    if invoice["status"] == "draft":
        finalize(store, invoice)
    if invoice["status"] == "paid":
        raise unexpected_state("Invoice is already paid", "invoice_already_paid")
    if invoice["status"] != "open":
        raise unexpected_state(f"This invoice can't be paid: it is {invoice['status']}.", "invoice_not_open")
    if boolean(p, "paid_out_of_band"):
        return _mark_paid(store, invoice, out_of_band=True)
    return charge_invoice(store, invoice, text(p, "payment_method"))


def charge_invoice(store: Store, invoice: Json, pm_id: str | None) -> Json:
    """Charge the invoice's (or the customer's default) payment method, off-session."""
    customer = store.get(invoice["customer"], "customer")
    pm_id = pm_id or invoice["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]
    if not pm_id:
        raise StripeError(400, "This customer has no attached payment source or default payment method. Please "
                               "consider adding a default payment method.", code="invoice_no_payment_method")
    pm = cards.resolve(store, pm_id)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    pi_id = new_id("pi")
    intent = from_template("payment_intent", {
        "id": pi_id, "created": store.now(), "amount": invoice["amount_remaining"], "currency": invoice["currency"],
        "customer": customer["id"], "payment_method": pm["id"], "status": "requires_confirmation",
        "description": f"Payment for Invoice {invoice['number']}", "metadata": {}, "invoice": invoice["id"],
        "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18)}", "amount_details": {}, "canceled_at": None,
        "last_payment_error": None, "next_action": None, "processing": None, "transfer_data": None,
        "managed_payments": None, "payment_method_configuration_details": None, "setup_future_usage": None,
        "latest_charge": None, "amount_received": 0,
    })
    store.put(intent)
    store.emit("payment_intent.created", intent)
    result = cards.outcome(store, pm, off_session=True)
    if result is None:
        payments.succeed(store, intent)
        return _mark_paid(store, invoice, out_of_band=False)
    payments.fail(store, intent, code=result[1], decline_code=result[2])
    invoice["next_payment_attempt"] = None
    store.emit("invoice.payment_failed", invoice)
    raise cards.decline(result[1], result[2], payment_intent=intent, charge=intent["latest_charge"])


def _mark_paid(store: Store, invoice: Json, *, out_of_band: bool) -> Json:
    previous = {"status": invoice["status"], "amount_paid": invoice["amount_paid"],
                "amount_remaining": invoice["amount_remaining"]}
    invoice |= {"status": "paid", "amount_paid": invoice["amount_due"], "amount_remaining": 0,
                "paid_out_of_band": out_of_band}
    invoice["status_transitions"]["paid_at"] = store.now()
    store.emit("invoice.paid", invoice, previous)
    store.emit("invoice.payment_succeeded", invoice, previous)
    return invoice


def void_invoice(call: Call) -> Json:
    store = call.store
    invoice = store.get(call.id, "invoice")
    if invoice["status"] != "open":
        raise unexpected_state(f"You can only void open invoices; this one is {invoice['status']}.",
                               "invoice_not_open")
    invoice |= {"status": "void", "amount_remaining": 0}
    invoice["status_transitions"]["voided_at"] = store.now()
    store.emit("invoice.voided", invoice, {"status": "open"})
    return invoice
