"""The pure part of the mixed load and the soak: locust's CSV read back, and the growth verdict."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class RouteStats:
    """One row of locust's `<prefix>_stats.csv`: a named request over the whole run (times in ms)."""

    method: str
    name: str
    requests: int
    failures: int
    average_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_s: float


def parse_stats_csv(text: str) -> tuple[list[RouteStats], RouteStats]:
    """Every route's row, and the Aggregated row; locust writes "N/A" for percentiles of a route with no sample."""
    rows = [_row(record) for record in csv.DictReader(io.StringIO(text))]
    totals = [row for row in rows if row.name == AGGREGATED]
    if len(totals) != 1:
        raise ValueError(f"expected one {AGGREGATED} row in locust's stats, found {len(totals)}")
    return [row for row in rows if row.name != AGGREGATED], totals[0]


def _row(record: dict[str, str]) -> RouteStats:
    return RouteStats(method=record["Type"], name=record["Name"], requests=int(record["Request Count"]),
                      failures=int(record["Failure Count"]), average_ms=_number(record["Average Response Time"]),
                      p50_ms=_number(record["50%"]), p95_ms=_number(record["95%"]), p99_ms=_number(record["99%"]),
                      requests_per_s=_number(record["Requests/s"]))


def _number(text: str) -> float:
    return float("nan") if text.strip() in {"", "N/A"} else float(text)


@dataclass(frozen=True)
class Failure:
    """One row of locust's `<prefix>_failures.csv`: a route, what went wrong, how often."""

    name: str
    error: str
    occurrences: int


def parse_failures_csv(text: str) -> list[Failure]:
    return [Failure(record["Name"], record["Error"], int(record["Occurrences"]))
            for record in csv.DictReader(io.StringIO(text))]


def error_rate(total: RouteStats) -> float:
    """Failed requests over all requests (locust counts every non-2xx and every connection error)."""
    return total.failures / total.requests if total.requests else float("nan")


@dataclass(frozen=True)
class Growth:
    """One series' verdict: the middle third's median against the last third's."""

    name: str
    middle: float
    last: float
    tolerance: float  # allowed relative growth, e.g. 0.10
    slack: float  # absolute growth always allowed (a connection or two, a few file descriptors)

    @property
    def grew(self) -> bool:
        return self.last > self.middle * (1 + self.tolerance) + self.slack

    def text(self) -> str:
        verdict = "GREW" if self.grew else "flat"
        return f"{self.name}: {self.middle:,.1f} -> {self.last:,.1f} ({verdict})"


def growth(name: str, values: Sequence[float], *, tolerance: float, slack: float = 0.0) -> Growth:
    """Compare the median of the last third of `values` with that of the middle third (the first is warm-up)."""
    if len(values) < 3:
        raise ValueError(f"{name}: at least 3 samples are needed for a growth verdict, got {len(values)}")
    third = len(values) // 3
    middle = values[third:len(values) - third]
    last = values[len(values) - third:]
    return Growth(name, statistics.median(middle), statistics.median(last), tolerance, slack)


@dataclass(frozen=True)
class Bound:
    """A count that must never pass a maximum (connections against the pools' sizes)."""

    name: str
    peak: float
    maximum: float

    @property
    def exceeded(self) -> bool:
        return self.peak > self.maximum

    def text(self) -> str:
        verdict = "EXCEEDED" if self.exceeded else "bounded"
        return f"{self.name}: peak {self.peak:,.0f} of at most {self.maximum:,.0f} ({verdict})"


def passed(growths: Sequence[Growth], bounds: Sequence[Bound]) -> bool:
    """No growth and no bound exceeded: the soak's verdict."""
    return not any(g.grew for g in growths) and not any(b.exceeded for b in bounds)
