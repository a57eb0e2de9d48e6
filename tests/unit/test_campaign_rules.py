"""Campaign rules without a database: lifecycle, validation, the payout model and its Everflow entry."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.domain.campaign_terms import (
    BillingModel,
    PayoutType,
    RevenueType,
    billing_model,
    legacy_amounts,
    payout_revenue_entry,
    terms_changes,
)
from shared.domain.campaigns import (
    Campaign,
    CampaignSpec,
    CampaignStatus,
    check_campaign,
    check_initial_status,
    check_transition,
    event_payload,
)
from shared.domain.errors import Conflict, ValidationFailed

DRAFT, ACTIVE, PAUSED, ARCHIVED = CampaignStatus
SPEC = CampaignSpec(organization_id=1, advertiser_id=2, name="Spring sale")


def terms(payout: str = "cpa", payout_cents: int = 0, payout_pct: str = "0",
          revenue: str = "rpa", revenue_cents: int = 0, revenue_pct: str = "0") -> CampaignSpec:
    return replace(SPEC, payout_type=PayoutType(payout), payout_amount_cents=payout_cents,
                   payout_percentage=Decimal(payout_pct), revenue_type=RevenueType(revenue),
                   revenue_amount_cents=revenue_cents, revenue_percentage=Decimal(revenue_pct))


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [d["field"] for d in error.value.details]


ALLOWED = [(DRAFT, ACTIVE), (DRAFT, ARCHIVED), (ACTIVE, PAUSED), (PAUSED, ACTIVE), (PAUSED, ARCHIVED)]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_the_lifecycle_allows_these_moves(current, target) -> None:
    check_transition(current, target)


@pytest.mark.parametrize("status", list(CampaignStatus))
def test_staying_in_the_same_status_is_no_move(status) -> None:
    check_transition(status, status)


@pytest.mark.parametrize(("current", "target"), [
    (c, t) for c in CampaignStatus for t in CampaignStatus if c is not t and (c, t) not in ALLOWED])
def test_every_other_move_is_a_conflict_with_a_clear_message(current, target) -> None:
    with pytest.raises(Conflict) as error:
        check_transition(current, target)
    assert str(current) in error.value.message or "archived" in error.value.message


def test_an_active_campaign_must_be_paused_before_it_is_archived() -> None:
    with pytest.raises(Conflict, match="Pause it first"):
        check_transition(ACTIVE, ARCHIVED)


def test_an_archived_campaign_is_never_resurrected() -> None:
    for target in (DRAFT, ACTIVE, PAUSED):
        with pytest.raises(Conflict, match="archived"):
            check_transition(ARCHIVED, target)


@pytest.mark.parametrize("status", [PAUSED, ARCHIVED])
def test_a_campaign_starts_as_draft_or_active_only(status) -> None:
    check_initial_status(DRAFT)
    check_initial_status(ACTIVE)
    with pytest.raises(ValidationFailed):
        check_initial_status(status)


def test_the_end_date_may_not_precede_the_start_date() -> None:
    check_campaign(replace(SPEC, start_date=date(2025, 3, 1), end_date=date(2025, 3, 1)))
    with pytest.raises(ValidationFailed) as error:
        check_campaign(replace(SPEC, start_date=date(2025, 3, 2), end_date=date(2025, 3, 1)))
    assert fields_of(error) == ["end_date"]


def test_an_active_campaign_needs_a_destination_url() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_campaign(replace(SPEC, status=ACTIVE))
    assert fields_of(error) == ["destination_url"]
    check_campaign(replace(SPEC, status=ACTIVE, destination_url="https://shop.example/?tid={transaction_id}"))


VALID_TERMS = [
    terms(),  # nothing priced yet
    terms("cpc", 25, revenue="rpc", revenue_cents=40),
    terms("cpa", 500, revenue="rpa", revenue_cents=800),
    terms("cpm", 150, revenue="rpm", revenue_cents=300),
    terms("cps", payout_pct="7.5", revenue="rps", revenue_pct="10"),
    terms("cpa_cps", 200, "5", revenue="rpa_rps", revenue_cents=300, revenue_pct="8"),
    terms("cps", payout_pct="100", revenue="rpa", revenue_cents=1000),
]


@pytest.mark.parametrize("spec", VALID_TERMS, ids=lambda s: f"{s.payout_type}-{s.revenue_type}")
def test_consistent_payouts_and_revenues_pass(spec) -> None:
    check_campaign(spec)


INVALID_TERMS = [
    ("cps with an amount", terms("cps", 100, "5"), ["payout_amount"]),
    ("cps without a percentage", terms("cps"), ["payout_percentage"]),
    ("cpa_cps without a percentage", terms("cpa_cps", 100), ["payout_percentage"]),
    ("cpa_cps without an amount", terms("cpa_cps", payout_pct="5"), ["payout_amount"]),
    ("cpc with a percentage", terms("cpc", 10, "5"), ["payout_percentage"]),
    ("rps with an amount", terms(revenue="rps", revenue_cents=5, revenue_pct="10"), ["revenue_amount"]),
    ("rps without a percentage", terms(revenue="rps"), ["revenue_percentage"]),
    ("rpa_rps without both", terms(revenue="rpa_rps"), ["revenue_percentage", "revenue_amount"]),
    ("rpa with a percentage", terms(revenue="rpa", revenue_pct="3"), ["revenue_percentage"]),
]


@pytest.mark.parametrize(("case", "spec", "fields"), INVALID_TERMS, ids=[c[0] for c in INVALID_TERMS])
def test_inconsistent_payouts_and_revenues_name_the_offending_fields(case, spec, fields) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_campaign(spec)
    assert fields_of(error) == fields


def test_every_problem_is_reported_at_once() -> None:
    spec = replace(terms("cps", 100), start_date=date(2025, 2, 1), end_date=date(2025, 1, 1))
    with pytest.raises(ValidationFailed) as error:
        check_campaign(spec)
    assert fields_of(error) == ["payout_amount", "payout_percentage", "end_date"]


LEGACY = [
    ({"fixed_click_amount": 150}, ("cpc", 150, "0")),
    ({"fixed_conversion_amount": 500}, ("cpa", 500, "0")),
    ({"percentage_conversion_amount": Decimal("12.5")}, ("cps", 0, "12.5")),
    ({"fixed_conversion_amount": 500, "percentage_conversion_amount": Decimal(10)}, ("cpa_cps", 500, "10")),
    ({"fixed_click_amount": None, "fixed_conversion_amount": None}, ("cpa", 0, "0")),
]


@pytest.mark.parametrize(("given", "expected"), LEGACY)
def test_the_originals_payout_fields_become_one_payout_type(given, expected) -> None:
    changes = terms_changes(given, None)
    assert (changes["payout_type"], changes["payout_amount_cents"], changes["payout_percentage"]) == (
        PayoutType(expected[0]), expected[1], Decimal(expected[2]))


def test_fixed_revenue_is_a_revenue_per_conversion() -> None:
    assert terms_changes({"fixed_revenue": 900}, None) == {
        "revenue_type": RevenueType.RPA, "revenue_amount_cents": 900, "revenue_percentage": Decimal(0)}


def test_a_click_amount_with_conversion_amounts_is_refused_rather_than_silently_dropped() -> None:
    with pytest.raises(ValidationFailed) as error:
        terms_changes({"fixed_click_amount": 10, "percentage_conversion_amount": Decimal(5)}, None)
    assert fields_of(error) == ["fixed_click_amount"]


@pytest.mark.parametrize("given", [{"payout_type": PayoutType.CPC, "fixed_click_amount": 10},
                                   {"revenue_amount_cents": 10, "fixed_revenue": 10}])
def test_the_new_and_the_original_fields_of_one_side_cannot_be_mixed(given) -> None:
    with pytest.raises(ValidationFailed, match="not both"):
        terms_changes(given, None)


def test_the_originals_fields_merge_over_the_current_payout() -> None:
    current = terms("cpa", 500)
    changes = terms_changes({"percentage_conversion_amount": Decimal(20)}, current)
    assert changes == {"payout_type": PayoutType.CPA_CPS, "payout_amount_cents": 500,
                       "payout_percentage": Decimal(20)}
    assert terms_changes({"fixed_conversion_amount": None}, replace(current, **changes))["payout_type"] is (
        PayoutType.CPS)


def test_a_new_type_drops_the_parts_it_does_not_use_unless_they_are_given() -> None:
    assert terms_changes({"payout_type": PayoutType.CPS, "payout_percentage": Decimal(5)}, terms("cpa", 500)) == {
        "payout_type": PayoutType.CPS, "payout_percentage": Decimal(5), "payout_amount_cents": 0}
    assert terms_changes({"revenue_type": RevenueType.RPC}, None) == {
        "revenue_type": RevenueType.RPC, "revenue_percentage": Decimal(0)}
    kept = terms_changes({"payout_type": PayoutType.CPS, "payout_amount_cents": 100}, None)
    assert kept["payout_amount_cents"] == 100  # given, so checked (and refused) rather than dropped


@pytest.mark.parametrize(("spec", "legacy"), [
    (terms("cpc", 150, revenue="rpa", revenue_cents=900), (900, 150, None, None)),
    (terms("cpa", 500), (0, None, 500, None)),
    (terms("cps", payout_pct="12.5", revenue="rps", revenue_pct="20"), (None, None, None, Decimal("12.5"))),
    (terms("cpa_cps", 200, "5", revenue="rpa_rps", revenue_cents=300, revenue_pct="8"), (300, None, 200, Decimal(5))),
    (terms("cpm", 100, revenue="rpm", revenue_cents=200), (None, None, None, None)),
])
def test_the_originals_fields_are_read_back_from_the_types(spec, legacy) -> None:
    amounts = legacy_amounts(spec)
    assert (amounts.fixed_revenue, amounts.fixed_click_amount, amounts.fixed_conversion_amount,
            amounts.percentage_conversion_amount) == legacy


@pytest.mark.parametrize(("spec", "model"), [
    (terms(revenue_cents=900), BillingModel.FIXED_REVENUE),
    (terms("cpa", 500, revenue_cents=900), BillingModel.CPA),
    (terms(), BillingModel.CPA),
    (terms("cpc", 20), BillingModel.CPC),
    (terms("cpm", 20), BillingModel.CPM),
    (terms("cps", payout_pct="5"), BillingModel.PERCENTAGE),
    (terms("cpa_cps", 100, "5"), BillingModel.HYBRID),
    (terms("cpa", 100, revenue="rpa_rps", revenue_cents=100, revenue_pct="5"), BillingModel.HYBRID),
])
def test_the_billing_model_summarises_the_types(spec, model) -> None:
    assert billing_model(spec) is model


def test_the_everflow_entry_is_the_one_default_base_entry_with_exact_amounts() -> None:
    entry = payout_revenue_entry(terms("cpa_cps", 1999, "12.5", revenue="rpa_rps", revenue_cents=2500,
                                       revenue_pct="15"))
    assert entry == {
        "entry_name": "Base", "payout_type": "cpa_cps", "payout_amount": Decimal("19.99"),
        "payout_percentage": Decimal("12.5"), "revenue_type": "rpa_rps", "revenue_amount": Decimal("25.00"),
        "revenue_percentage": Decimal("15"), "is_default": True, "is_private": False,
        "is_postback_disabled": False, "is_must_approve_conversion": False,
        "is_allow_duplicate_conversion": True, "global_advertiser_event_id": 0,
    }
    assert str(entry["revenue_amount"]) == "25.00"


@pytest.mark.parametrize("spec", VALID_TERMS, ids=lambda s: f"{s.payout_type}-{s.revenue_type}")
def test_the_everflow_entry_fills_only_the_parts_each_type_uses(spec) -> None:
    entry = payout_revenue_entry(spec)
    for side, kind in (("payout", spec.payout_type), ("revenue", spec.revenue_type)):
        assert entry[f"{side}_type"] == kind.value
        if kind.value in {"cps", "rps"}:
            assert entry[f"{side}_amount"] == 0
        if kind.value in {"cpc", "cpa", "cpm", "rpc", "rpa", "rpm"}:
            assert entry[f"{side}_percentage"] == 0


def test_the_event_payload_is_plain_json() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    spec = replace(terms("cps", payout_pct="7.5"), start_date=date(2025, 2, 1))
    campaign = Campaign(**vars(spec), campaign_id=9, version=3, created_at=now, updated_at=now)
    payload = json.loads(json.dumps(event_payload(campaign)))
    assert payload["payout_percentage"] == "7.5"
    assert payload["billing_model"] == "percentage"
    assert payload["version"] == 3
    assert payload["created_at"] == "2025-01-01T00:00:00+00:00"
    assert payload["start_date"] == "2025-02-01"
