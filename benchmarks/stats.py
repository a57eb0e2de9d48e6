"""Latency summaries shared by both load generators."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadSummary:
    """One endpoint under load: counts over the measured window and latency percentiles in ms."""

    label: str
    generator: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def percentiles_ms(latencies_s: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of latencies given in seconds, in milliseconds (NaN when nothing was measured)."""
    if not latencies_s:
        return (float("nan"),) * 3
    if len(latencies_s) == 1:
        only = latencies_s[0] * 1000
        return only, only, only
    cuts = statistics.quantiles(latencies_s, n=100, method="inclusive")
    return statistics.median(latencies_s) * 1000, cuts[94] * 1000, cuts[98] * 1000
