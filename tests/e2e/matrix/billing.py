"""Matrix cases of the billing API: every route names the target organization (`?organization_id=`).

The caller's own organization is served; naming another is for Admin and PlatformOwner only (404 for the
rest, as for a caller without an organization). Payment methods and payments of the target organization
are arranged through the API by an administrator, against the Stripe sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Request, tenant

BASE = "/api/v1/billing"
METHOD = BASE + "/payment-methods/{payment_method_id}"


def _fresh_stripe(ctx: Context) -> None:
    """An empty Stripe sandbox: customer idempotency keys (`customer:<id>`) repeat across test databases."""
    ctx.fixture("stripe_sandbox")


def _as_admin(ctx: Context, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    _fresh_stripe(ctx)
    admin = ctx.fixture("make_user")(Role.ADMIN)
    response = ctx.fixture("api").request(method, f"{path}?organization_id={ctx.target_org}", json=body,
                                          headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _card(ctx: Context) -> dict[str, Any]:
    """A saved card of the target organization (its default)."""
    return _as_admin(ctx, "POST", f"{BASE}/payment-methods", {"payment_method_id": "pm_card_visa"})


def _payment(ctx: Context) -> dict[str, Any]:
    _card(ctx)
    return _as_admin(ctx, "POST", f"{BASE}/recharge", {"amount": "5.00"})


def _at(path: str, body: dict[str, Any] | None = None) -> Callable[[Context], Request]:
    def build(ctx: Context) -> Request:
        _fresh_stripe(ctx)
        return f"{path}?organization_id={ctx.target_org}", body
    return build


def _method(suffix: str) -> Callable[[Context], Request]:
    def build(ctx: Context) -> Request:
        method_id = _card(ctx)["payment_method_id"]
        return f"{BASE}/payment-methods/{method_id}{suffix}?organization_id={ctx.target_org}", None
    return build


def _payment_path(ctx: Context) -> Request:
    return f"{BASE}/payments/{_payment(ctx)['payment_id']}?organization_id={ctx.target_org}", None


def _recharge(ctx: Context) -> Request:
    _card(ctx)
    return f"{BASE}/recharge?organization_id={ctx.target_org}", {"amount": "5.00"}


CASES: dict[tuple[str, str], Case] = {
    ("GET", BASE + "/dashboard"): (_at(BASE + "/dashboard"), tenant(200)),
    ("GET", BASE + "/config"): (_at(BASE + "/config"), tenant(200)),
    ("PUT", BASE + "/config"): (_at(BASE + "/config", {"invoice_day_of_month": 15}), tenant(200)),
    ("POST", BASE + "/payment-methods/setup-intent"): (_at(BASE + "/payment-methods/setup-intent"), tenant(201)),
    ("POST", BASE + "/payment-methods"): (
        _at(BASE + "/payment-methods", {"payment_method_id": "pm_card_visa"}), tenant(201)),
    ("GET", BASE + "/payment-methods"): (_at(BASE + "/payment-methods"), tenant(200)),
    ("PUT", METHOD + "/default"): (_method("/default"), tenant(200)),
    ("DELETE", METHOD): (_method(""), tenant(204)),
    ("POST", BASE + "/recharge"): (_recharge, tenant(201)),
    ("GET", BASE + "/payments/{payment_id}"): (_payment_path, tenant(200)),
    ("GET", BASE + "/transactions"): (_at(BASE + "/transactions"), tenant(200)),
    ("GET", BASE + "/usage"): (_at(BASE + "/usage"), tenant(200)),
    ("GET", BASE + "/invoices"): (_at(BASE + "/invoices"), tenant(200)),
}
