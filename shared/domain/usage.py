"""Daily usage: what an organization's campaigns cost on one day, from the real traffic of their Everflow offers.

Each campaign's payout model is applied to what its offer really did that day (Everflow's entity
report): cpc pays per unique click (Everflow counts CPC payouts on unique clicks), cpa per
conversion, cpm per thousand impressions, cps a percentage of the sale amounts, cpa_cps both. The
platform fee is `fee_bps` basis points of that affiliate payout (setting PLATFORM_FEE_BPS, 1000 = 10%).

Rounding is explicit and happens once per campaign: the exact payout (a Decimal, e.g. 12.5% of
$10.01) is rounded half-even to whole cents, then the fee is computed from those cents and rounded
half-even once. An organization's day is the sum of its campaigns' cents, so the breakdown adds up
to the total exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from shared.domain.campaign_terms import PayoutType

BPS = 10_000  # basis points in a whole
CENT = Decimal(1)


@dataclass(frozen=True)
class OfferTraffic:
    """One Everflow offer's day, as the network's entity report shows it; sales in cents."""

    offer_id: int
    advertiser_id: int
    clicks: int = 0
    unique_clicks: int = 0
    impressions: int = 0
    conversions: int = 0
    sales_cents: int = 0


@dataclass(frozen=True)
class CampaignTerms:
    """What a campaign pays its affiliates, and whose it is."""

    campaign_id: int
    organization_id: int
    payout_type: PayoutType
    payout_amount_cents: int
    payout_percentage: Decimal


@dataclass(frozen=True)
class CampaignUsage:
    """One campaign's priced day: the traffic it was priced on and the cents it costs."""

    campaign_id: int
    offer_id: int
    payout_type: PayoutType
    clicks: int
    unique_clicks: int
    impressions: int
    conversions: int
    sales_cents: int
    affiliate_payout_cents: int
    platform_fee_cents: int

    @property
    def amount_cents(self) -> int:
        return self.affiliate_payout_cents + self.platform_fee_cents

    def to_json(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "offer_id": self.offer_id, "payout_type": self.payout_type.value,
                "clicks": self.clicks, "unique_clicks": self.unique_clicks, "impressions": self.impressions,
                "conversions": self.conversions, "sales_cents": self.sales_cents,
                "affiliate_payout_cents": self.affiliate_payout_cents,
                "platform_fee_cents": self.platform_fee_cents, "amount_cents": self.amount_cents}


@dataclass(frozen=True)
class DayUsage:
    """An organization's priced day: the sums of its campaigns (none: a zero-usage day)."""

    organization_id: int
    usage_date: date
    campaigns: tuple[CampaignUsage, ...] = ()

    @property
    def clicks(self) -> int:
        return sum(c.clicks for c in self.campaigns)

    @property
    def conversions(self) -> int:
        return sum(c.conversions for c in self.campaigns)

    @property
    def affiliate_payout_cents(self) -> int:
        return sum(c.affiliate_payout_cents for c in self.campaigns)

    @property
    def platform_fee_cents(self) -> int:
        return sum(c.platform_fee_cents for c in self.campaigns)

    @property
    def amount_cents(self) -> int:
        return self.affiliate_payout_cents + self.platform_fee_cents

    def breakdown(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.campaigns]


def exact_payout(terms: CampaignTerms, traffic: OfferTraffic) -> Decimal:
    """The affiliate payout in cents, unrounded (a percentage of sales may leave fractions of a cent)."""
    amount, share = Decimal(terms.payout_amount_cents), terms.payout_percentage / 100
    kind = terms.payout_type
    if kind is PayoutType.CPC:
        return amount * traffic.unique_clicks
    if kind is PayoutType.CPA:
        return amount * traffic.conversions
    if kind is PayoutType.CPM:
        return amount * traffic.impressions / 1000
    if kind is PayoutType.CPS:
        return share * traffic.sales_cents
    if kind is PayoutType.CPA_CPS:
        return amount * traffic.conversions + share * traffic.sales_cents
    raise ValueError(f"unknown payout type {kind}")


def to_cents(value: Decimal) -> int:
    """Whole cents, half to even (the one rounding step of a campaign's payout, and of its fee)."""
    return int(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def platform_fee(payout_cents: int, fee_bps: int) -> int:
    """`fee_bps` basis points of the payout, rounded half-even to whole cents."""
    if fee_bps < 0:
        raise ValueError("the platform fee cannot be negative")
    return to_cents(Decimal(payout_cents) * fee_bps / BPS)


def price_campaign(terms: CampaignTerms, traffic: OfferTraffic, fee_bps: int) -> CampaignUsage:
    """A campaign's day: its payout model on its offer's traffic, then the platform fee."""
    payout = to_cents(exact_payout(terms, traffic))
    return CampaignUsage(
        campaign_id=terms.campaign_id, offer_id=traffic.offer_id, payout_type=terms.payout_type,
        clicks=traffic.clicks, unique_clicks=traffic.unique_clicks, impressions=traffic.impressions,
        conversions=traffic.conversions, sales_cents=traffic.sales_cents, affiliate_payout_cents=payout,
        platform_fee_cents=platform_fee(payout, fee_bps))


def price_day(organization_id: int, usage_date: date, lines: Iterable[tuple[CampaignTerms, OfferTraffic]],
              fee_bps: int) -> DayUsage:
    """An organization's day from its campaigns and their offers' traffic, campaigns in id order."""
    priced = sorted((price_campaign(terms, traffic, fee_bps) for terms, traffic in lines),
                    key=lambda c: c.campaign_id)
    return DayUsage(organization_id, usage_date, tuple(priced))
