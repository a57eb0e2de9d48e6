"""The dashboards benchmark's arithmetic: layout, users, cache counts and Everflow time attributed to responses."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from benchmarks.dashboard_sandbox import EverflowCall
from benchmarks.dashboards import (
    Layout,
    Org,
    Phase,
    Sample,
    User,
    calls_per_load,
    cold_keys,
    draw_period,
    hit_rate,
    layout_for,
    overlap_s,
    roles_for,
    spread,
)
from shared.domain.roles import Role

ACME = Org(1, "advertiser", "UTC", 3)
GLOBEX = Org(2, "affiliate", "UTC", 0)


def user(index: int, org: Org = ACME, period: str = "30d") -> User:
    return User(index, org, Role.USER, "token", period)


def sample(who: User, cache: str = "hit", status: int = 200, began: float = 0.0, ended: float = 0.01) -> Sample:
    return Sample(who, "overview", status, cache, began, ended)


def test_fifty_organizations_are_thirty_advertisers_fifteen_affiliates_four_agencies_and_one_platform() -> None:
    assert layout_for(50) == Layout(30, 15, 4, 1)
    assert Counter(layout_for(50).kinds()) == {"advertiser": 30, "affiliate": 15, "agency": 4, "platform_owner": 1}


def test_a_small_run_still_has_one_organization_of_each_type() -> None:
    assert layout_for(4) == Layout(1, 1, 1, 1)
    with pytest.raises(ValueError, match="at least 4"):
        layout_for(3)


def test_users_are_spread_evenly_and_a_quarter_of_each_organization_are_managers() -> None:
    assert spread(1_000, 50) == [20] * 50
    assert spread(7, 3) == [3, 2, 2]
    assert Counter(roles_for("agency", 20)) == {Role.AGENCY_MANAGER: 5, Role.USER: 15}
    assert roles_for("platform_owner", 2) == [Role.PLATFORM_OWNER, Role.USER]


def test_periods_follow_the_mix() -> None:
    rng = random.Random(1)
    drawn = Counter(draw_period(rng) for _ in range(20_000))
    assert drawn["30d"] / 20_000 == pytest.approx(0.60, abs=0.02)
    assert drawn["90d"] / 20_000 == pytest.approx(0.05, abs=0.01)


def test_everflow_time_counts_overlapping_calls_once_and_only_inside_the_response() -> None:
    calls = [EverflowCall("POST /v1/networks/reporting/entity", 1.0, 1.1),
             EverflowCall("POST /v1/networks/reporting/entity", 1.05, 1.12),
             EverflowCall("GET /v1/meta/timezones", 0.5, 1.02),
             EverflowCall("POST /v1/networks/reporting/entity", 2.0, 2.1)]
    assert overlap_s(1.0, 1.2, calls) == pytest.approx(0.12)
    assert overlap_s(1.2, 1.9, calls) == 0


def test_hit_rate_is_hits_over_answered_responses_and_a_stale_answer_is_no_hit() -> None:
    someone = user(0)
    samples = [sample(someone)] * 18 + [sample(someone, "miss"), sample(someone, "stale"),
                                        sample(someone, "none", status=503)]
    assert hit_rate(samples) == pytest.approx(0.9)


def test_each_organization_and_period_is_one_cold_dashboard() -> None:
    samples = [sample(user(0)), sample(user(1)), sample(user(2, period="7d")), sample(user(3, GLOBEX))]
    assert cold_keys(samples) == 3


def test_calls_belong_to_the_sequential_load_they_started_in() -> None:
    first, second = user(0), user(1, GLOBEX)
    samples = [sample(first, "miss", began=0.0, ended=0.2), sample(first, began=0.2, ended=0.21),
               sample(second, "miss", began=0.3, ended=0.5)]
    calls = [EverflowCall("GET /v1/meta/timezones", 0.01, 0.09),
             EverflowCall("POST /v1/networks/reporting/entity", 0.1, 0.19),
             EverflowCall("POST /v1/networks/reporting/entity", 0.1, 0.18),
             EverflowCall("POST /v1/networks/reporting/entity", 0.31, 0.4)]
    phase = Phase("cold", 1, samples, calls, 0.5, 0)
    assert calls_per_load(phase) == {0: (2, 1), 1: (1, 0)}
