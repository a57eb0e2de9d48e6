"""Pricing a day's usage: every payout model on real traffic, the platform fee, and the one rounding per campaign."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared.domain.campaign_terms import PayoutType
from shared.domain.usage import CampaignTerms, OfferTraffic, platform_fee, price_campaign, price_day, to_cents

DAY = dt.date(2025, 3, 14)
TRAFFIC = OfferTraffic(offer_id=7, advertiser_id=3, clicks=120, unique_clicks=100, impressions=2_500,
                       conversions=4, sales_cents=25_003)


def terms(kind: PayoutType, amount: int = 0, percentage: str = "0", campaign_id: int = 1) -> CampaignTerms:
    return CampaignTerms(campaign_id, 42, kind, amount, Decimal(percentage))


def test_cpc_pays_per_unique_click() -> None:
    assert price_campaign(terms(PayoutType.CPC, 25), TRAFFIC, 1000).affiliate_payout_cents == 2_500


def test_cpa_pays_per_conversion() -> None:
    assert price_campaign(terms(PayoutType.CPA, 500), TRAFFIC, 1000).affiliate_payout_cents == 2_000


def test_cpm_pays_per_thousand_impressions() -> None:
    assert price_campaign(terms(PayoutType.CPM, 300), TRAFFIC, 1000).affiliate_payout_cents == 750


def test_cps_pays_a_share_of_real_sales() -> None:
    # 10% of $250.03 is $25.003: rounded once, half-even, to 2500 cents.
    assert price_campaign(terms(PayoutType.CPS, percentage="10"), TRAFFIC, 1000).affiliate_payout_cents == 2_500


def test_hybrid_pays_per_conversion_and_a_share() -> None:
    priced = price_campaign(terms(PayoutType.CPA_CPS, 100, "2.5"), TRAFFIC, 1000)
    assert priced.affiliate_payout_cents == 400 + 625  # 2.5% of 25003 = 625.075 -> 625


def test_platform_fee_is_basis_points_of_the_payout() -> None:
    priced = price_campaign(terms(PayoutType.CPA, 500), TRAFFIC, 1000)
    assert (priced.platform_fee_cents, priced.amount_cents) == (200, 2_200)
    assert price_campaign(terms(PayoutType.CPA, 500), TRAFFIC, 0).platform_fee_cents == 0


@pytest.mark.parametrize(("exact", "cents"), [("2.5", 2), ("3.5", 4), ("2.4999", 2), ("2.5001", 3), ("0.5", 0)])
def test_rounding_is_half_to_even(exact: str, cents: int) -> None:
    assert to_cents(Decimal(exact)) == cents


def test_fee_rounds_half_to_even_once() -> None:
    assert platform_fee(25, 1000) == 2  # 2.5 -> 2
    assert platform_fee(35, 1000) == 4  # 3.5 -> 4
    with pytest.raises(ValueError):
        platform_fee(100, -1)


def test_rounding_happens_per_campaign_not_per_day() -> None:
    # Two campaigns of 0.5 cent each: each rounds to 0 (half-even), so the day is 0, not 1.
    half = OfferTraffic(offer_id=1, advertiser_id=1, sales_cents=50)
    day = price_day(42, DAY, [(terms(PayoutType.CPS, percentage="1", campaign_id=2), half),
                              (terms(PayoutType.CPS, percentage="1", campaign_id=1), half)], 1000)
    assert day.affiliate_payout_cents == 0
    assert [c.campaign_id for c in day.campaigns] == [1, 2]


def test_a_day_is_the_sum_of_its_campaigns() -> None:
    day = price_day(42, DAY, [(terms(PayoutType.CPA, 500, campaign_id=1), TRAFFIC),
                              (terms(PayoutType.CPC, 10, campaign_id=2), TRAFFIC)], 1000)
    assert day.affiliate_payout_cents == 2_000 + 1_000
    assert day.platform_fee_cents == 200 + 100
    assert day.amount_cents == sum(line["amount_cents"] for line in day.breakdown())
    assert (day.clicks, day.conversions) == (240, 8)


def test_a_day_without_traffic_costs_nothing() -> None:
    day = price_day(42, DAY, [], 1000)
    assert (day.amount_cents, day.breakdown()) == (0, [])
