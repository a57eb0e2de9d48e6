"""The pure parts of the mixed load and the soak: locust's CSV read back, the growth verdict, the plan."""

from __future__ import annotations

import math

import pytest

from benchmarks.mixed.arrange import pair_partners
from benchmarks.mixed.figures import (
    Bound,
    error_rate,
    growth,
    parse_failures_csv,
    parse_stats_csv,
    passed,
)

HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
          "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
          "99.99%,100%")
STATS = "\n".join([
    HEADER,
    "GET,GET campaign,120,0,11,14.5,4,90,512,2.0,0.0,11,13,15,17,25,40,60,80,90,90,90",
    "POST,POST stripe webhook,10,2,9,9.8,6,20,40,0.17,0.03,9,10,10,11,13,20,20,20,20,20,20",
    "GET,GET never answered,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
    ",Aggregated,130,2,11,14.1,4,90,475,2.17,0.03,11,13,15,17,25,40,60,80,90,90,90",
])


def test_locust_stats_are_read_per_route_with_the_aggregated_row_apart() -> None:
    routes, total = parse_stats_csv(STATS)

    assert [r.name for r in routes] == ["GET campaign", "POST stripe webhook", "GET never answered"]
    campaign = routes[0]
    assert (campaign.method, campaign.requests, campaign.failures) == ("GET", 120, 0)
    assert (campaign.p50_ms, campaign.p95_ms, campaign.p99_ms, campaign.average_ms) == (11, 40, 80, 14.5)
    assert math.isnan(routes[2].p99_ms)
    assert (total.requests, total.failures, total.requests_per_s) == (130, 2, 2.17)
    assert error_rate(total) == pytest.approx(2 / 130)


def test_stats_without_an_aggregated_row_are_refused() -> None:
    with pytest.raises(ValueError, match="Aggregated"):
        parse_stats_csv("\n".join(STATS.splitlines()[:-1]))


def test_locust_failures_are_read_with_their_counts() -> None:
    text = 'Method,Name,Error,Occurrences\nGET,GET campaigns (list),"HTTPError(\'403 Client Error\')",7\n'

    (failure,) = parse_failures_csv(text)

    assert (failure.name, failure.occurrences) == ("GET campaigns (list)", 7)
    assert "403" in failure.error


def test_memory_that_keeps_climbing_is_growth() -> None:
    leaking = [100.0 + 5 * minute for minute in range(30)]  # 5 MB a sample: +50 MB between the thirds

    verdict = growth("rss", leaking, tolerance=0.10, slack=5.0)

    assert verdict.grew
    assert "GREW" in verdict.text()


def test_memory_that_settles_after_warm_up_is_flat() -> None:
    settling = [80.0, 120.0, 140.0] + [150.0 + (minute % 3) for minute in range(27)]

    assert not growth("rss", settling, tolerance=0.10, slack=5.0).grew


def test_growth_within_the_slack_is_not_growth_but_past_it_is() -> None:
    middle, within, past = [40.0] * 4, [47.0] * 4, [49.0] * 4

    assert not growth("fds", middle * 2 + within, tolerance=0.0, slack=8).grew
    assert growth("fds", middle * 2 + past, tolerance=0.0, slack=8).grew


def test_a_growth_verdict_needs_three_samples() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        growth("rss", [1.0, 2.0], tolerance=0.1)


def test_the_soak_fails_on_growth_or_on_connections_past_the_pools() -> None:
    flat = growth("rss", [100.0] * 9, tolerance=0.1)
    grew = growth("rss", [100.0] * 6 + [200.0] * 3, tolerance=0.1)
    within, beyond = Bound("pg", peak=48, maximum=48), Bound("pg", peak=49, maximum=48)

    assert passed([flat], [within])
    assert not passed([grew], [within])
    assert not passed([flat], [beyond])


def test_every_advertiser_organization_gets_an_affiliate_partner_in_turn() -> None:
    assert pair_partners([1, 2, 3], [10, 11]) == [(1, 10), (2, 11), (3, 10)]
    assert pair_partners([1, 2], []) == []
