"""Deterministic, realistic traffic for the sandbox's reports, seeded by offer id, affiliate id and date.

Every number is a pure function of (offer, affiliate, day), so repeated queries agree, and every
aggregate is a sum of per-day integers (money in cents), so sums over days equal the totals.
Conversions pick distinct unique clicks of the same day, so the click stream, the conversion list
and the entity report describe the same traffic. Payout and revenue follow the offer's default
payout/revenue entry (contract §2.3): per conversion for cpa/cps/prv and rpa/rps, per unique click
for cpc/rpc, per thousand impressions for cpm/rpm.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

DAY_S = 86_400
CONVERSION_TYPES = frozenset({"cpa", "rpa"})
SHARE_TYPES = frozenset({"cps", "rps"})
BOTH_TYPES = frozenset({"cpa_cps", "rpa_rps"})


@dataclass(frozen=True)
class Money:
    """An offer's default payout/revenue entry, in cents and percent."""

    payout_type: str
    payout_cents: int
    payout_percentage: float
    revenue_type: str
    revenue_cents: int
    revenue_percentage: float


@dataclass(frozen=True)
class Pair:
    """One affiliate running one offer: the unit the sandbox's traffic is generated for."""

    offer_id: int
    affiliate_id: int
    advertiser_id: int
    money: Money

    @property
    def key(self) -> str:
        return f"{self.offer_id}:{self.affiliate_id}"


@dataclass(frozen=True)
class DayStats:
    """A pair's counts for one day; money in cents."""

    imp: int = 0
    total_click: int = 0
    unique_click: int = 0
    duplicate_click: int = 0
    invalid_click: int = 0
    cv: int = 0
    payout: int = 0
    revenue: int = 0
    sales: int = 0


@dataclass(frozen=True)
class Conversion:
    """One conversion: the unique click it came from, when, and its money in cents."""

    index: int
    click_index: int
    click_unix: int
    unix: int
    sale: int
    payout: int
    revenue: int


def unit(*parts: object) -> float:
    """A number in [0, 1) that depends only on the parts."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def hex_id(*parts: object) -> str:
    """A 32-hex-digit id (Everflow's transaction and conversion ids look like this)."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def day_start(day: dt.date) -> int:
    return calendar.timegm(day.timetuple())


def click_unix(pair: Pair, day: dt.date, index: int) -> int:
    return day_start(day) + int(DAY_S * unit(pair.key, day, "click", index))


def transaction_id(pair: Pair, day: dt.date, index: int) -> str:
    return hex_id("transaction", pair.key, day, index)


def conversion_id(pair: Pair, day: dt.date, index: int) -> str:
    return hex_id("conversion", pair.key, day, index)


@lru_cache(maxsize=65_536)
def traffic(pair: Pair, day: dt.date) -> tuple[int, int, int, int]:
    """(impressions, total clicks, unique clicks, invalid clicks): weekdays busier, each pair its own size."""
    scale = 30 + int(370 * unit(pair.key, "scale"))
    weekday = 0.7 if day.weekday() >= 5 else 1.0
    total = int(scale * weekday * (0.6 + 0.8 * unit(pair.key, day, "clicks")))
    unique = round(total * (0.78 + 0.17 * unit(pair.key, day, "unique")))
    invalid = int(total * 0.04 * unit(pair.key, day, "invalid"))
    impressions = total * (8 + int(12 * unit(pair.key, day, "imp")))
    return impressions, total, unique, invalid


@lru_cache(maxsize=65_536)
def conversions(pair: Pair, day: dt.date) -> tuple[Conversion, ...]:
    """The day's conversions, each on a distinct unique click and within the same day."""
    _, _, unique, _ = traffic(pair, day)
    rate = (0.01 + 0.06 * unit(pair.key, "cvr")) * (0.7 + 0.6 * unit(pair.key, day, "cvr"))
    count = min(unique, round(unique * rate))
    average_sale = 2_000 + int(18_000 * unit(pair.key, "sale"))
    last_second = day_start(day) + DAY_S - 1
    result = []
    for index in range(count):
        clicked = index * unique // count
        click_at = click_unix(pair, day, clicked)
        sale = int(average_sale * (0.5 + unit(pair.key, day, "sale", index)))
        payout, revenue = _conversion_money(pair.money, sale)
        at = min(click_at + 60 + int(7_200 * unit(pair.key, day, "delay", index)), last_second)
        result.append(Conversion(index, clicked, click_at, at, sale, payout, revenue))
    return tuple(result)


@lru_cache(maxsize=65_536)
def day_stats(pair: Pair, day: dt.date) -> DayStats:
    impressions, total, unique, invalid = traffic(pair, day)
    converted = conversions(pair, day)
    money = pair.money
    return DayStats(
        imp=impressions, total_click=total, unique_click=unique, duplicate_click=total - unique,
        invalid_click=invalid, cv=len(converted),
        payout=sum(c.payout for c in converted) + click_money(money.payout_type, money.payout_cents,
                                                               unique, impressions),
        revenue=sum(c.revenue for c in converted) + click_money(money.revenue_type, money.revenue_cents,
                                                                 unique, impressions),
        sales=sum(c.sale for c in converted),
    )


def click_revenue(money: Money) -> int:
    """Revenue in cents one unique click earns (rpc offers only)."""
    return money.revenue_cents if _base(money.revenue_type) == "rpc" else 0


def _conversion_money(money: Money, sale: int) -> tuple[int, int]:
    revenue = _per_conversion(money.revenue_type, money.revenue_cents, money.revenue_percentage, sale)
    if _base(money.payout_type) == "prv":  # a percentage of the revenue
        return round(revenue * money.payout_percentage / 100), revenue
    payout = _per_conversion(money.payout_type, money.payout_cents, money.payout_percentage, sale)
    return payout, revenue


def _per_conversion(kind: str, cents: int, percentage: float, sale: int) -> int:
    base = _base(kind)
    flat = cents if base in CONVERSION_TYPES | BOTH_TYPES else 0
    share = round(sale * percentage / 100) if base in SHARE_TYPES | BOTH_TYPES else 0
    return flat + share


def click_money(kind: str, cents: int, unique: int, impressions: int) -> int:
    base = _base(kind)
    if base in ("cpc", "rpc"):
        return unique * cents
    if base in ("cpm", "rpm"):
        return round(impressions * cents / 1000)
    return 0


def _base(kind: str) -> str:
    return kind.removesuffix("_sku")
