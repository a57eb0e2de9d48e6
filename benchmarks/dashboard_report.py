"""The dashboards section of RESULTS.md: the issue's and the seed's targets, the cold phase and the traffic."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable

from benchmarks.dashboard_sandbox import NICENESS, EverflowCall
from benchmarks.dashboards import (
    COLD_PERIOD,
    KINDS,
    PERIOD_MIX,
    DashboardsResult,
    Latency,
    Org,
    Phase,
    Sample,
    by_kind,
    cache_counts,
    calls_per_load,
    cold_keys,
    everflow_ms,
    hit_rate,
    latency,
    layout_for,
    loads,
    mean,
    sandbox_compute_ms,
)
from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform
from shared.config import Settings

SECTION = "dashboards"
HIT_TARGET = 0.95
WARM_P99_MS = 20.0
COLD_P99_MS = 300.0
CALLS_PER_COLD_LOAD = 2
SEED_RESPONSE_MS = 200.0
SEED_HIT = 0.90
ANSWERED = ("hit", "miss", "stale")


def report_dashboards(result: DashboardsResult, platform: Platform) -> str:
    """Print the figures and record them in RESULTS.md; return the section."""
    lines = [
        f"## Dashboards: {len(result.users):,} users across {result.options.organizations} organizations (issue 6)",
        "",
        *run_facts("python threads (benchmarks/dashboards.py), one keep-alive `http.client` connection each;"
                   " a connection serves one user at a time, the five requests of a load one after another"),
        *_setup(result, platform),
        f"- 1-min load average when the figures were printed: {os.getloadavg()[0]:.2f} (the run itself keeps both"
        " cores busy, ~2; well above that, other work shared the machine)",
        "",
        "### Targets",
        "",
        _targets(result),
        "",
        *_target_notes(result),
        "",
        f"### Cold: each organization's first {COLD_PERIOD} dashboard load on an empty cache (one connection)",
        "",
        _cold_table(result, result.cold),
        "",
        *_cold_notes(result),
        *_generating(result),
        "",
        "### Traffic: every user opens the dashboard, in random order; then every user once again",
        "",
        _traffic_table(result),
        "",
        "By organization type (latencies in ms, p50 / p95 / p99):",
        "",
        _traffic_by_kind(result),
    ]
    section = "\n".join(lines)
    print(section)
    update_section(SECTION, section)
    return section


def _setup(result: DashboardsResult, platform: Platform) -> list[str]:
    options, layout = result.options, layout_for(result.options.organizations)
    orgs = _orgs(result)
    mix = ", ".join(f"{name} {share:.0%}" for name, share in PERIOD_MIX)
    return [
        f"- server: `functions-framework --target=dashboard_api --source=main.py` (gunicorn, 1 worker, its default"
        f" threads); {platform.servers}; {_defaults()}",
        f"- Everflow: the sandbox in a process of its own at nice {NICENESS} (Everflow computes on its own"
        f" machines, so the sandbox gets the CPU the measured side leaves), every `/v1` call delayed by"
        f" **{options.delay_ms} ms** for the round trip to api.eflow.team; a fresh sandbox per phase. The sandbox"
        " makes every affiliate run every offer and derives each (offer, affiliate, day)'s traffic from hashes"
        " (~0.1 ms each, memoised up to 65,536); Everflow reads stored daily aggregates. So the sandbox's"
        f" aggregates of the last {result.aggregate_days} days ({result.aggregate_pairs_days:,} (pair, day)) were"
        f" computed once before the phases ({result.prime_s:.0f} s) and every phase's sandbox answers from them:"
        " a report then costs the sandbox what summing its (pair, day) cells costs, reported as 'sandbox time"
        " beyond the delay'",
        f"- organizations: {layout.advertisers} advertiser (one advertiser, 2-4 campaigns each), {layout.affiliates}"
        f" affiliate (one affiliate each), {layout.agencies} agency (two advertisers with two campaigns each),"
        f" {layout.platforms} platform owner; {sum(org.offers for org in orgs)} Everflow offers, so the platform's"
        f" reports sum {max(_pairs(org, orgs) for org in orgs):,} (offer, affiliate) pairs a day; Everflow objects"
        f" and provider mappings arranged in {result.arrange_s:.1f} s (SQL + the production `EverflowClient`, as a"
        " finished sync leaves them)",
        f"- users: {len(result.users):,}, {len(result.users) // max(len(orgs), 1)} per organization (a quarter"
        " managers, the rest Users), HS256 tokens; each organization has one time zone (New York, London,"
        f" Los Angeles or UTC in turn); periods drawn per user: {mix}",
        "- a dashboard load: `GET /api/v1/dashboard/{type}/{id}` (overview), `/revenue-chart`, `/conversion-chart`,"
        " `/performance-chart`, `/campaigns`, each with `?period=..&timezone=..`; warm = `X-Cache: hit`,"
        " cold = `X-Cache: miss` (`stale` counts as not a hit)",
    ]


def _defaults() -> str:
    """The settings that shape the figures, as this code's defaults have them (the benchmark sets none)."""
    fields = Settings.model_fields

    def default(name: str) -> object:
        return fields[name].default

    return (f"report cache at its defaults (TTL {default('report_cache_ttl_s')} s, L1"
            f" {default('report_cache_l1_entries'):,} entries) with a fresh key prefix per phase; the reporting"
            f" Everflow client at its defaults (budget {default('everflow_requests_per_second'):g} requests/s shared"
            f" through Redis, {default('everflow_report_concurrency')} reporting calls at once, read timeout"
            f" {default('everflow_report_timeout_s'):g} s, {default('everflow_report_max_retries')} retry)")


def _orgs(result: DashboardsResult) -> list[Org]:
    return list({user.org.organization_id: user.org for user in result.users}.values())


def _pairs(org: Org, orgs: list[Org]) -> int:
    """The (offer, affiliate) pairs the sandbox sums for this organization's reports (each for every day)."""
    offers, affiliates = sum(o.offers for o in orgs), sum(o.kind == "affiliate" for o in orgs)
    return {"advertiser": org.offers * affiliates, "agency": org.offers * affiliates, "affiliate": offers,
            "platform_owner": offers * affiliates}[org.kind]


# --- targets --------------------------------------------------------------------------------------

def _targets(result: DashboardsResult) -> str:
    traffic, revisits = result.traffic, result.revisits
    cold_miss, warm_alone = latency(result.cold.samples, "miss"), latency(result.cold.samples, "hit")
    per_load = [reporting for reporting, _ in calls_per_load(result.cold).values()]
    rows = [
        ["cache hit rate (first visits)", f"> {SEED_HIT:.0%} (claimed 95 %)", f"≥ {HIT_TARGET:.0%}",
         _each(traffic, lambda p: f"{hit_rate(p.samples):.1%}"),
         _per_phase(traffic, lambda p: hit_rate(p.samples) >= HIT_TARGET)],
        ["warm dashboard response p99 (revisits: every dashboard cached)", f"< {SEED_RESPONSE_MS:.0f} ms",
         f"< {WARM_P99_MS:.0f} ms", _each(revisits, lambda p: f"{latency(p.samples, 'hit').p99:.1f} ms"),
         _per_phase(revisits, lambda p: latency(p.samples, "hit").p99 < WARM_P99_MS)],
        ["warm response at 1 connection p50 / p99 (the cold phase's hits: service time without queueing)",
         f"< {SEED_RESPONSE_MS:.0f} ms", "-", f"{warm_alone.p50:.1f} / {warm_alone.p99:.1f} ms ({warm_alone.count})",
         "(reported)"],
        ["`X-Cache: hit` p99 during first visits (includes waits for a concurrent fetch)",
         f"< {SEED_RESPONSE_MS:.0f} ms", "-", _each(traffic, lambda p: f"{latency(p.samples, 'hit').p99:.1f} ms"),
         "(reported)"],
        ["cold dashboard response p99 (misses of the cold phase, sandbox included)", f"< {SEED_RESPONSE_MS:.0f} ms",
         f"< {COLD_P99_MS:.0f} ms", f"{cold_miss.p99:.0f} ms (p50 {cold_miss.p50:.0f} ms, {cold_miss.count}"
         f" misses); {_cold_split(result)}", _verdict(cold_miss.p99 < COLD_P99_MS)],
        ["cold responses under load (misses of first visits) p50 / p99", f"< {SEED_RESPONSE_MS:.0f} ms", "-",
         _each(traffic, lambda p: f"{latency(p.samples, 'miss').p50:.0f} / {latency(p.samples, 'miss').p99:.0f} ms"),
         "(reported)"],
        ["all responses of first visits p50 / p99", f"< {SEED_RESPONSE_MS:.0f} ms (claimed ~150 ms average)", "-",
         _each(traffic, lambda p: f"{latency(p.samples).p50:.1f} / {latency(p.samples).p99:.0f} ms"),
         _per_phase(traffic, lambda p: latency(p.samples).p99 < SEED_RESPONSE_MS) + " (seed, p99)"],
        ["Everflow reporting calls per cold dashboard load (cold phase, each load counted)", "~10 (claimed)",
         f"≤ {CALLS_PER_COLD_LOAD}", f"max {max(per_load, default=0)}, mean {mean([float(n) for n in per_load]):.2f}"
         f" over {len(per_load)} loads", _verdict(max(per_load, default=0) <= CALLS_PER_COLD_LOAD)],
        ["Everflow reporting calls per dashboard under load (first visits: calls / distinct org x period)", "-", "-",
         _each(traffic, lambda p: f"{_calls_per_dashboard(p):.2f} ({_statuses(p.calls)})"), "(reported)"],
        ["Everflow calls of warm loads (revisits)", "-", "0", _each(revisits, lambda p: str(len(p.calls))),
         _per_phase(revisits, lambda p: not p.calls)],
        ["concurrent users", "1,000+ (claimed tested up to 1,000)", "-",
         f"{len(result.users):,} users; " + _each(traffic, lambda p: f"{p.connections} in flight") + " (2 cores)",
         "(not comparable)"],
    ]
    return table(["figure", "seed §11.7 target", "issue 6 target", "this run", "met"], rows)


def _cold_split(result: DashboardsResult) -> str:
    """The cold p99 without the platform owner, and the platform owner's own, with the sandbox's share of it."""
    others = [s for s in result.cold.samples if s.user.org.kind != "platform_owner"]
    platform = [s for s in result.cold.samples if s.user.org.kind == "platform_owner" and s.cache == "miss"]
    parts = [f"without the platform owner p99 {latency(others, 'miss').p99:.0f} ms"]
    for sample in platform:
        waiting = everflow_ms(sample, result.cold.calls)
        parts.append(f"the platform owner's {sample.ms:.0f} ms, {waiting:.0f} ms of it waiting for Everflow")
    return "; ".join(parts)


def _each(phases: list[Phase], figure: Callable[[Phase], str]) -> str:
    return ", ".join(f"{figure(phase)} at {phase.connections}" for phase in phases)


def _verdict(met: bool) -> str:
    return "yes" if met else "**no**"


def _per_phase(phases: list[Phase], met: Callable[[Phase], bool]) -> str:
    return ", ".join(f"{_verdict(met(p))} at {p.connections}" for p in phases)


def _calls_per_dashboard(phase: Phase) -> float:
    """Reporting calls of the phase over its distinct (organization, period) dashboards: each one's first load."""
    keys = cold_keys(phase.samples)
    return sum(call.reporting for call in phase.calls) / keys if keys else float("nan")


def _statuses(calls: list[EverflowCall]) -> str:
    """Reporting calls by the sandbox's answer, and how many ran past the reporting client's read timeout."""
    counted = Counter(call.status for call in calls if call.reporting)
    timeout_s = float(Settings.model_fields["everflow_report_timeout_s"].default)
    late = sum(call.reporting and call.ended - call.began > timeout_s for call in calls)
    text = ", ".join(f"{status}: {count}" for status, count in sorted(counted.items())) or "none"
    return text + (f"; {late} ran past the {timeout_s:g} s read timeout" if late else "")


def _target_notes(result: DashboardsResult) -> list[str]:
    return [
        "A first visit's `X-Cache: hit` may have waited for another request's fetch of the same numbers (single"
        " flight): hit, but with a cold request's latency. The revisits (every user again, right after) find"
        " everything cached and nothing in flight; their p99 is the warm figure. Every figure is from this run;"
        " targets per concurrency are judged per concurrency.",
    ]


# --- cold phases ----------------------------------------------------------------------------------

def _cold_table(result: DashboardsResult, cold: Phase) -> str:
    per_load = calls_per_load(cold)
    orgs = _orgs(result)
    rows = [_cold_row(kind, part, cold, per_load, delay_ms=result.options.delay_ms, orgs=orgs)
            for kind, part in [*by_kind(cold.samples).items(), ("all", cold.samples)]]
    headers = ["organizations", "loads", "pairs summed (median)", "miss p50 / p95 / p99 ms", "hits (p50 / max ms)",
               "whole load p50 / max ms", "Everflow reporting calls per load (mean, max)", "other Everflow calls",
               "waiting for Everflow p50 ms", "ours (miss minus waiting) p50 / p99 ms",
               "sandbox time beyond the delay per call p50 / p99 ms"]
    return table(headers, rows)


def _cold_row(kind: str, part: list[Sample], cold: Phase, per_load: dict[int, tuple[int, int]], *,
              delay_ms: int, orgs: list[Org]) -> list[str]:
    part_loads = loads(part)
    misses = [s for s in part if s.status == 200 and s.cache == "miss"]
    waiting = [everflow_ms(s, cold.calls) for s in misses]
    ours = Latency.of_ms([s.ms - w for s, w in zip(misses, waiting, strict=True)])
    reporting = [per_load[user][0] for user in part_loads]
    whole = [(samples[-1].ended - samples[0].began) * 1000 for samples in part_loads.values()]
    pairs = sorted(_pairs(samples[0].user.org, orgs) for samples in part_loads.values())
    counts = cache_counts(part)
    return [kind, str(len(part_loads)), f"{pairs[len(pairs) // 2]:,}", latency(part, "miss").text(),
            f"{counts['hit']} of {len(part)} ({_hit_spread(part)})",
            f"{Latency.of_ms(whole).p50:.0f} / {max(whole, default=0):.0f}",
            f"{mean([float(n) for n in reporting]):.2f}, {max(reporting, default=0)}",
            str(sum(per_load[user][1] for user in part_loads)), f"{Latency.of_ms(waiting).p50:.0f}",
            f"{ours.p50:.1f} / {ours.p99:.1f}", _compute(_calls_during(part_loads.values(), cold.calls), delay_ms)]


def _hit_spread(samples: list[Sample]) -> str:
    hits = [s.ms for s in samples if s.status == 200 and s.cache == "hit"]
    return f"{Latency.of_ms(hits).p50:.1f} / {max(hits):.1f}" if hits else "-"


def _calls_during(load_samples: Iterable[list[Sample]], calls: list[EverflowCall]) -> list[EverflowCall]:
    """The calls that started during one of these (sequential) loads."""
    windows = [(samples[0].began, samples[-1].ended) for samples in load_samples]
    return [call for call in calls if any(began <= call.began < ended for began, ended in windows)]


def _compute(calls: list[EverflowCall], delay_ms: int) -> str:
    figures = sandbox_compute_ms(calls, delay_ms)
    return f"{figures.p50:.0f} / {figures.p99:.0f}" if figures.count else "-"


def _cold_notes(result: DashboardsResult) -> list[str]:
    cold = result.cold
    counts = cache_counts(cold.samples)
    endpoints = sorted({call.endpoint for call in cold.calls})
    return [
        f"Responses: {', '.join(f'{name} {n}' for name, n in counts.items())}. Everflow endpoints called:"
        f" {', '.join(f'`{e}`' for e in endpoints) or 'none'} ({_statuses(cold.calls)}). 'Pairs summed': the"
        " (offer, affiliate) pairs the sandbox adds up per day for that organization (every affiliate runs every"
        " offer in the sandbox). 'Waiting for Everflow': the part of a response during which a sandbox call was"
        " running (their union, on the monotonic clock the processes share), the"
        f" {result.options.delay_ms} ms delay included. 'Other Everflow calls': the time-zone catalogue, fetched"
        " once per process and kept a day.",
    ]


def _generating(result: DashboardsResult) -> list[str]:
    if result.cold_generating is None:
        return []
    return ["", "The same cold phase with the sandbox generating every (pair, day) on demand, as it does by default"
                " (no aggregates; what the sandbox costs, not what Everflow would):", "",
            _cold_table(result, result.cold_generating)]


# --- traffic --------------------------------------------------------------------------------------

def _traffic_table(result: DashboardsResult) -> str:
    rows = [_traffic_row(phase, result.options.delay_ms)
            for pair in zip(result.traffic, result.revisits, strict=True) for phase in pair]
    headers = ["connections", "visit", "responses", "responses/s", "hit rate", "hit p50 / p95 / p99 ms",
               "miss p50 / p95 / p99 ms", "all p50 / p95 / p99 ms", "dashboards (org x period)",
               "Everflow reporting calls (other)", "sandbox time beyond the delay per call p50 / p99 ms"]
    return table(headers, rows)


def _traffic_row(phase: Phase, delay_ms: int) -> list[str]:
    counts = cache_counts(phase.samples)
    failed = {name: n for name, n in counts.items() if name not in ANSWERED}
    reporting = sum(call.reporting for call in phase.calls)
    return [
        str(phase.connections), phase.label,
        f"{len(phase.samples):,}" + (f" ({phase.errors} connection failures)" if phase.errors else ""),
        f"{len(phase.samples) / phase.wall_s:.0f}",
        f"**{hit_rate(phase.samples):.1%}** ({counts['hit']:,} hit, {counts['miss']} miss, {counts['stale']} stale"
        + "".join(f", {n} {name}" for name, n in failed.items()) + ")",
        latency(phase.samples, "hit").text(), latency(phase.samples, "miss").text(), latency(phase.samples).text(),
        str(cold_keys(phase.samples)), f"{reporting} ({len(phase.calls) - reporting}); {_statuses(phase.calls)}",
        _compute(phase.calls, delay_ms),
    ]


def _traffic_by_kind(result: DashboardsResult) -> str:
    rows = []
    for phase in [p for pair in zip(result.traffic, result.revisits, strict=True) for p in pair]:
        grouped = by_kind(phase.samples)
        rows += [[str(phase.connections), phase.label, kind, f"{len(loads(grouped[kind])):,}",
                  f"{hit_rate(grouped[kind]):.1%}", latency(grouped[kind], "hit").text(),
                  latency(grouped[kind], "miss").text(), str(cold_keys(grouped[kind])), _not_200(grouped[kind])]
                 for kind in KINDS if kind in grouped]
    return table(["connections", "visit", "organizations", "loads", "hit rate", "hit", "miss",
                  "dashboards (org x period)", "not 200"], rows)


def _not_200(samples: list[Sample]) -> str:
    failed = Counter(s.status for s in samples if s.status != 200)
    return ", ".join(f"{n} x {status}" for status, n in sorted(failed.items())) or "0"
