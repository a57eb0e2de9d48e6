"""A campaign's payout (to affiliates) and revenue (from the advertiser): one default Everflow entry.

The model is Everflow's own (contracts/everflow.md §2.3): a payout type with an amount and/or a
percentage, and a revenue type likewise. The original API's four amounts are read and written
through it (`legacy_amounts`, `payout_from_legacy`, `revenue_from_legacy`).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.domain.errors import ValidationFailed

if TYPE_CHECKING:
    from shared.domain.campaigns import CampaignSpec

ZERO = Decimal(0)


class PayoutType(enum.StrEnum):
    """What an affiliate earns: per click, per conversion (action), per thousand impressions, % of sale, or both."""

    CPC = "cpc"
    CPA = "cpa"
    CPM = "cpm"
    CPS = "cps"
    CPA_CPS = "cpa_cps"


class RevenueType(enum.StrEnum):
    """What the advertiser pays, on the same bases as the payout."""

    RPC = "rpc"
    RPA = "rpa"
    RPM = "rpm"
    RPS = "rps"
    RPA_RPS = "rpa_rps"


class BillingModel(enum.StrEnum):
    """A one-word summary of the payout and revenue types (read-only)."""

    FIXED_REVENUE = "fixed_revenue"
    CPC = "cpc"
    CPA = "cpa"
    CPM = "cpm"
    PERCENTAGE = "percentage"
    HYBRID = "hybrid"


# (uses an amount, uses a percentage) of each type.
PARTS: dict[str, tuple[bool, bool]] = {
    PayoutType.CPC: (True, False), PayoutType.CPA: (True, False), PayoutType.CPM: (True, False),
    PayoutType.CPS: (False, True), PayoutType.CPA_CPS: (True, True),
    RevenueType.RPC: (True, False), RevenueType.RPA: (True, False), RevenueType.RPM: (True, False),
    RevenueType.RPS: (False, True), RevenueType.RPA_RPS: (True, True),
}
SIMPLE_MODELS = {PayoutType.CPA_CPS: BillingModel.HYBRID, PayoutType.CPS: BillingModel.PERCENTAGE,
                 PayoutType.CPC: BillingModel.CPC, PayoutType.CPM: BillingModel.CPM}


def problem(field: str, message: str) -> dict[str, str]:
    """One field error of a 422's details."""
    return {"field": field, "location": "body", "message": message, "type": "value_error"}


def terms_problems(spec: CampaignSpec) -> list[dict[str, str]]:
    """What is inconsistent between the types and their amounts and percentages."""
    return (_side_problems("payout", spec.payout_type, spec.payout_amount_cents, spec.payout_percentage)
            + _side_problems("revenue", spec.revenue_type, spec.revenue_amount_cents, spec.revenue_percentage))


def _side_problems(side: str, kind: str, amount_cents: int, percentage: Decimal) -> list[dict[str, str]]:
    uses_amount, uses_percentage = PARTS[kind]
    problems = []
    if amount_cents and not uses_amount:
        problems.append(problem(f"{side}_amount", f"{kind} takes a percentage, not an amount"))
    if percentage and not uses_percentage:
        problems.append(problem(f"{side}_percentage", f"{kind} takes an amount, not a percentage"))
    if uses_percentage and not percentage:
        problems.append(problem(f"{side}_percentage", f"{kind} needs a percentage above 0"))
    if uses_amount and uses_percentage and not amount_cents:
        problems.append(problem(f"{side}_amount", f"{kind} needs an amount above 0"))
    return problems


def retyped(side: str, given: dict[str, Any]) -> dict[str, Any]:
    """One side's changes: a new type zeroes the parts it does not use, unless they are given."""
    changes = dict(given)
    kind = given.get(f"{side}_type")
    if kind is not None:
        uses_amount, uses_percentage = PARTS[kind]
        if not uses_amount:
            changes.setdefault(f"{side}_amount_cents", 0)
        if not uses_percentage:
            changes.setdefault(f"{side}_percentage", ZERO)
    return changes


@dataclass(frozen=True)
class LegacyAmounts:
    """The original API's monetisation fields (cents, and a % of the sale); None where they do not apply."""

    fixed_revenue: int | None = None
    fixed_click_amount: int | None = None
    fixed_conversion_amount: int | None = None
    percentage_conversion_amount: Decimal | None = None


def legacy_amounts(spec: CampaignSpec) -> LegacyAmounts:
    """The original's view: revenue per conversion; payout per click, or per conversion and/or % of the sale."""
    payout = spec.payout_type
    per_conversion_revenue = spec.revenue_type in {RevenueType.RPA, RevenueType.RPA_RPS}
    return LegacyAmounts(
        fixed_revenue=spec.revenue_amount_cents if per_conversion_revenue else None,
        fixed_click_amount=spec.payout_amount_cents if payout is PayoutType.CPC else None,
        fixed_conversion_amount=spec.payout_amount_cents if payout in {PayoutType.CPA, PayoutType.CPA_CPS} else None,
        percentage_conversion_amount=spec.payout_percentage if payout in {PayoutType.CPS, PayoutType.CPA_CPS}
        else None,
    )


def payout_from_legacy(click_cents: int, conversion_cents: int, percentage: Decimal) -> dict[str, Any]:
    """The payout the original's fields describe (its offer mapping); a click amount never hides the others."""
    if click_cents and (conversion_cents or percentage):
        raise ValidationFailed("A campaign pays per click or per conversion, not both.", details=[
            problem("fixed_click_amount", "cannot be combined with fixed_conversion_amount or "
                                          "percentage_conversion_amount")])
    if click_cents:
        return {"payout_type": PayoutType.CPC, "payout_amount_cents": click_cents, "payout_percentage": ZERO}
    kinds = {(True, True): PayoutType.CPA_CPS, (False, True): PayoutType.CPS}
    kind = kinds.get((bool(conversion_cents), bool(percentage)), PayoutType.CPA)
    return {"payout_type": kind, "payout_amount_cents": conversion_cents, "payout_percentage": percentage}


def revenue_from_legacy(fixed_revenue_cents: int) -> dict[str, Any]:
    """`fixed_revenue` is what the platform earns per conversion: a revenue per action."""
    return {"revenue_type": RevenueType.RPA, "revenue_amount_cents": fixed_revenue_cents, "revenue_percentage": ZERO}


PAYOUT_FIELDS = ("payout_type", "payout_amount_cents", "payout_percentage")
REVENUE_FIELDS = ("revenue_type", "revenue_amount_cents", "revenue_percentage")
LEGACY_PAYOUT = ("fixed_click_amount", "fixed_conversion_amount", "percentage_conversion_amount")
TERMS_FIELDS = frozenset(PAYOUT_FIELDS + REVENUE_FIELDS + LEGACY_PAYOUT + ("fixed_revenue",))


def terms_changes(given: dict[str, Any], current: CampaignSpec | None) -> dict[str, Any]:
    """The payout and revenue columns that `given` sets, from Everflow's fields or the original's (not both).

    The original's payout fields are merged over the current campaign's view of them, so sending
    `percentage_conversion_amount` alone to a cpa campaign makes it cpa_cps.
    """
    _refuse_mixing(given, PAYOUT_FIELDS, LEGACY_PAYOUT)
    _refuse_mixing(given, REVENUE_FIELDS, ("fixed_revenue",))
    changes = retyped("payout", {k: given[k] for k in PAYOUT_FIELDS if k in given})
    if any(k in given for k in LEGACY_PAYOUT):
        base = asdict(legacy_amounts(current)) if current else {}
        merged = {k: given[k] if k in given else base.get(k) for k in LEGACY_PAYOUT}
        changes = payout_from_legacy(merged["fixed_click_amount"] or 0, merged["fixed_conversion_amount"] or 0,
                                     merged["percentage_conversion_amount"] or ZERO)
    changes |= retyped("revenue", {k: given[k] for k in REVENUE_FIELDS if k in given})
    if "fixed_revenue" in given:
        changes |= revenue_from_legacy(given["fixed_revenue"] or 0)
    return changes


def _refuse_mixing(given: dict[str, Any], new: tuple[str, ...], legacy: tuple[str, ...]) -> None:
    if any(k in given for k in new) and any(k in given for k in legacy):
        field = next(k for k in legacy if k in given)
        names = ", ".join(n.removesuffix("_cents") for n in new)
        raise ValidationFailed(f"Give either {names} or the original's {', '.join(legacy)}, not both.",
                               details=[problem(field, "cannot be combined with " + names)])


def billing_model(spec: CampaignSpec) -> BillingModel:
    """hybrid (amount and percentage), percentage, cpc, cpm, fixed_revenue (a revenue and no payout), else cpa."""
    if spec.revenue_type is RevenueType.RPA_RPS:
        return BillingModel.HYBRID
    if spec.payout_type in SIMPLE_MODELS:
        return SIMPLE_MODELS[spec.payout_type]
    if spec.payout_amount_cents == 0 and spec.revenue_amount_cents > 0:
        return BillingModel.FIXED_REVENUE
    return BillingModel.CPA


def money(cents: int) -> Decimal:
    """Cents as an exact amount with two decimal places."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def payout_revenue_entry(campaign: CampaignSpec) -> dict[str, Any]:
    """The campaign's one default Everflow `payout_revenue` entry.

    Amounts are Decimals with two places and percentages Decimals: exact values that the Everflow
    client must write as JSON numbers. A part the type does not use is 0 (`terms_problems` sees to it).
    """
    return {
        "entry_name": "Base",
        "payout_type": campaign.payout_type.value,
        "payout_amount": money(campaign.payout_amount_cents),
        "payout_percentage": campaign.payout_percentage,
        "revenue_type": campaign.revenue_type.value,
        "revenue_amount": money(campaign.revenue_amount_cents),
        "revenue_percentage": campaign.revenue_percentage,
        "is_default": True,
        "is_private": False,
        "is_postback_disabled": False,
        "is_must_approve_conversion": False,
        "is_allow_duplicate_conversion": True,
        "global_advertiser_event_id": 0,
    }
