"""A pair's traffic of one day split into its 24 UTC hours, consistent with the click stream and conversions.

A click counts in the hour of its own timestamp (`click_unix`), a conversion in the hour it happened;
the first `unique` clicks of a day are its unique ones (as in the click stream) and the last `invalid`
ones its invalid ones. Impressions follow clicks (a day's impressions are a whole multiple of its
clicks). Click-priced money is spread by cumulative rounding, so the 24 hours always add up to the
day exactly, cent for cent.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from shared.adapters.everflow.sandbox_data import (
    DayStats,
    Pair,
    click_money,
    click_unix,
    conversions,
    day_start,
    traffic,
)

HOURS = 24
HOUR_S = 3_600


@lru_cache(maxsize=16_384)
def hour_stats(pair: Pair, day: dt.date) -> tuple[DayStats, ...]:
    """The day's stats per UTC hour (index 0 is 00:00-00:59); their sum is `day_stats(pair, day)`."""
    impressions, total, unique, invalid = traffic(pair, day)
    per_click = impressions // total if total else 0
    start = day_start(day)
    clicks, uniques, invalids = [0] * HOURS, [0] * HOURS, [0] * HOURS
    for index in range(total):
        hour = (click_unix(pair, day, index) - start) // HOUR_S
        clicks[hour] += 1
        uniques[hour] += index < unique
        invalids[hour] += index >= total - invalid
    cvs, payouts, revenues, sales = [0] * HOURS, [0] * HOURS, [0] * HOURS, [0] * HOURS
    for item in conversions(pair, day):
        hour = (item.unix - start) // HOUR_S
        cvs[hour] += 1
        payouts[hour] += item.payout
        revenues[hour] += item.revenue
        sales[hour] += item.sale
    click_payouts = _spread(pair.money.payout_type, pair.money.payout_cents, uniques, clicks, per_click)
    click_revenues = _spread(pair.money.revenue_type, pair.money.revenue_cents, uniques, clicks, per_click)
    return tuple(DayStats(imp=clicks[h] * per_click, total_click=clicks[h], unique_click=uniques[h],
                          duplicate_click=clicks[h] - uniques[h], invalid_click=invalids[h], cv=cvs[h],
                          payout=payouts[h] + click_payouts[h], revenue=revenues[h] + click_revenues[h],
                          sales=sales[h])
                 for h in range(HOURS))


def _spread(kind: str, cents: int, uniques: list[int], clicks: list[int], per_click: int) -> list[int]:
    """Click-priced money per hour: the money of the hours so far, minus that of the hours before."""
    result, before, seen_unique, seen_clicks = [], 0, 0, 0
    for hour in range(HOURS):
        seen_unique += uniques[hour]
        seen_clicks += clicks[hour]
        through = click_money(kind, cents, seen_unique, seen_clicks * per_click)
        result.append(through - before)
        before = through
    return result
