"""Everflow's reporting metrics object (contract §2.5a), computed from summed integer counts.

Rates are derived from the sums, never averaged: cvr = cv / unique_click, ctr = total_click / imp,
cpc = payout / total_click, epc = payout / unique_click, rpc = revenue / total_click,
cpa/rpa per conversion, cpm/rpm per thousand impressions, margin = profit / revenue (percent).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.adapters.everflow.sandbox_data import DayStats
from shared.adapters.everflow.sandbox_fields import Json


@dataclass
class Totals:
    """Running sums of day stats; money in cents."""

    imp: int = 0
    total_click: int = 0
    unique_click: int = 0
    duplicate_click: int = 0
    invalid_click: int = 0
    cv: int = 0
    payout: int = 0
    revenue: int = 0
    sales: int = 0

    def add(self, day: DayStats) -> None:
        # Spelled out: reports add millions of (pair, day) cells, and a loop over fields costs 5x more.
        self.imp += day.imp
        self.total_click += day.total_click
        self.unique_click += day.unique_click
        self.duplicate_click += day.duplicate_click
        self.invalid_click += day.invalid_click
        self.cv += day.cv
        self.payout += day.payout
        self.revenue += day.revenue
        self.sales += day.sales


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _rate(numerator: float, denominator: float, scale: float = 1.0) -> float:
    return round(numerator * scale / denominator, 4) if denominator else 0.0


def metrics(totals: Totals) -> Json:
    """The metrics object Everflow reports for these totals."""
    payout, revenue = totals.payout / 100, totals.revenue / 100
    return {
        "imp": totals.imp,
        "total_click": totals.total_click,
        "unique_click": totals.unique_click,
        "invalid_click": totals.invalid_click,
        "duplicate_click": totals.duplicate_click,
        "gross_click": totals.total_click + totals.invalid_click,
        "ctr": _rate(totals.total_click, totals.imp, 100),
        "cv": totals.cv,
        "invalid_cv_scrub": 0,
        "view_through_cv": 0,
        "total_cv": totals.cv,
        "event": 0,
        "cvr": _rate(totals.cv, totals.unique_click, 100),
        "evr": 0.0,
        "cpc": _rate(payout, totals.total_click),
        "cpm": _rate(payout, totals.imp, 1000),
        "cpa": _rate(payout, totals.cv),
        "epc": _rate(payout, totals.unique_click),
        "rpc": _rate(revenue, totals.total_click),
        "rpa": _rate(revenue, totals.cv),
        "rpm": _rate(revenue, totals.imp, 1000),
        "payout": _money(totals.payout),
        "revenue": _money(totals.revenue),
        "event_revenue": 0.0,
        "gross_sales": _money(totals.sales),
        "profit": _money(totals.revenue - totals.payout),
        "margin": _rate(totals.revenue - totals.payout, totals.revenue, 100),
        "roas": 0.0,  # no media buying cost is ever recorded in the sandbox
        "avg_sale_value": _rate(totals.sales / 100, totals.cv),
        "media_buying_cost": 0.0,
        "on_hold_potential_revenue": 0.0,
        "on_hold_potential_payout": 0.0,
        "on_hold_conversion_count": 0,
        "public_events": 0,
    }
