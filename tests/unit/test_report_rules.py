"""Reports' own rules: derived rates, the click window, the export cap, searching, sorting and paging rows."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.reporting import Metrics, Period
from shared.domain.reports import (
    Granularity,
    Listing,
    Provenance,
    arranged,
    check_click_window,
    check_export_size,
    matching,
    performance,
    total_pages,
)


def period(days: int) -> Period:
    start = dt.date(2024, 5, 1)
    return Period(start, start + dt.timedelta(days=days - 1), "UTC")


def test_rates_are_derived_from_the_sums_with_two_decimals() -> None:
    figures = performance(Metrics(impressions=3_000, clicks=300, unique_clicks=240, conversions=7,
                                  revenue_cents=5_600, payout_cents=3_500))
    assert figures == {"impressions": 3_000, "clicks": 300, "unique_clicks": 240, "conversions": 7, "revenue": 56.0,
                       "payout": 35.0, "profit": 21.0, "conversion_rate": 2.92, "average_revenue": 8.0, "ctr": 10.0,
                       "epc": 0.1458}


def test_rates_of_nothing_are_zero_not_errors() -> None:
    figures = performance(Metrics())
    assert (figures["conversion_rate"], figures["average_revenue"], figures["ctr"], figures["epc"]) == (0, 0, 0, 0)


def test_each_granularity_asks_for_its_everflow_time_column() -> None:
    assert [item.column for item in Granularity] == ["hour", "date", "week", "month"]


def test_clicks_cover_at_most_fourteen_days() -> None:
    check_click_window(period(14))
    with pytest.raises(ValidationFailed) as refused:
        check_click_window(period(15))
    assert "at most 14 days" in refused.value.message and refused.value.details[0]["field"] == "endDate"


def test_an_export_past_its_cap_is_refused_with_the_numbers() -> None:
    check_export_size(10, 10)
    with pytest.raises(ValidationFailed, match="11 rows, more than the 10"):
        check_export_size(11, 10)


ROWS = [
    {"id": 1, "name": "beta", "clicks": 5, "country": "Germany"},
    {"id": 2, "name": "Alpha", "clicks": 9, "country": ""},
    {"id": 3, "name": "gamma", "clicks": 5, "country": "Canada"},
    {"id": 4, "name": "alpha two", "clicks": None, "country": "Australia"},
]


def ids(rows: list) -> list[int]:
    return [row["id"] for row in rows]


def test_rows_sort_by_one_field_ignoring_case_with_ties_in_a_fixed_order() -> None:
    assert ids(arranged(ROWS, "name", descending=False)) == [2, 4, 1, 3]
    assert ids(arranged(ROWS, "clicks", descending=True, ties=("name",))) == [2, 1, 3, 4]
    assert ids(arranged(ROWS, "clicks", descending=False, ties=("name",))) == [1, 3, 2, 4]


def test_blank_values_sort_last_in_both_directions() -> None:
    assert ids(arranged(ROWS, "country", descending=False))[-1] == 2
    assert ids(arranged(ROWS, "country", descending=True))[-1] == 2


def test_search_matches_any_named_field_ignoring_case() -> None:
    assert ids(matching(ROWS, "ALPHA", ("name",))) == [2, 4]
    assert ids(matching(ROWS, "ada", ("name", "country"))) == [3]
    assert ids(matching(ROWS, None, ("name",))) == [1, 2, 3, 4]


def test_a_listing_windows_one_page_and_counts_the_pages() -> None:
    listing = Listing("name", page=2, limit=3)
    assert ids(listing.window(ROWS)) == [4]
    assert listing.window(ROWS[:3]) == []
    assert (total_pages(0, 10), total_pages(10, 10), total_pages(11, 10)) == (0, 1, 2)


class Source:
    def __init__(self, fetched_at: float, stale: bool, hit: bool) -> None:
        self.fetched_at, self.stale, self.hit = fetched_at, stale, hit


def test_provenance_of_several_answers_is_as_old_and_stale_as_the_worst_and_a_hit_only_when_all_were() -> None:
    both = Provenance.of(Source(100.0, False, True), Source(90.0, True, False))
    assert (min(both.fetched_at), both.stale, both.hit) == (90.0, True, False)
    assert Provenance().fetched_at == ()
