"""Publisher search and autocomplete on 100,000 generated publishers (issue 8): median and p95 per query kind.

The publishers come from the project's own generator (shared/intelligence_seed.py), inserted in
batches through the repository and its trigger as an administrator's writes would be, then
VACUUM ANALYZEd. Each query kind is served in-process by the intelligence function's router (token,
profile cache, policy, validation, SQL, JSON) a number of times after a warm-up; then served once
more with its SQL recorded, and every statement EXPLAIN ANALYZEd, to show which indexes it used.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from benchmarks.auth_overhead import in_process
from benchmarks.list_latency import _replay, recording
from benchmarks.results import RESULTS, run_facts, table, update_section
from benchmarks.servers import Platform
from benchmarks.stats import percentiles_ms
from shared.db.pool import owner_pool
from shared.db.session import Session
from shared.intelligence_seed import advertiser_domains, seed_intelligence

TARGET_MEDIAN_MS = 50.0
SEARCH = "/api/v1/affiliates/search"
AUTOCOMPLETE = "/api/v1/analytics/autocomplete"
SCAN = re.compile(r"((?:Parallel )?(?:Bitmap Index|Bitmap Heap|Index Only|Index|Seq) Scan(?: using| on)? \S+)")


@dataclass(frozen=True)
class Query:
    kind: str
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Measured:
    query: Query
    total: str
    p50_ms: float
    p95_ms: float
    scans: list[str]
    sql_ms: float


@dataclass(frozen=True)
class SearchResult:
    publishers: int
    advertisers: int
    seed_s: float
    requests: int
    measured: list[Measured]


def queries(partners: list[str]) -> list[Query]:
    """The query kinds: each filter alone (common and rare values), combinations, paging, autocomplete."""
    popular, other = partners[0], partners[1]
    return [
        Query("no filter (ranking only)", "GET", SEARCH),
        Query("domain substring, 6 chars", "GET", f"{SEARCH}?domain=harbor"),
        Query("domain substring, 2 chars", "GET", f"{SEARCH}?domain=ha"),
        Query("domain substring, 1 char, rare (q)", "GET", f"{SEARCH}?domain=q"),
        Query("domain substring, 1 char, common (a)", "GET", f"{SEARCH}?domain=a"),
        Query("country, common (us)", "GET", f"{SEARCH}?country=us"),
        Query("country, rare (fi)", "GET", f"{SEARCH}?country=fi"),
        Query("partner domain, 1", "GET", f"{SEARCH}?partner_domains={popular}"),
        Query("partner domains, 2 (match-count rank)", "GET", f"{SEARCH}?partner_domains={popular},{other}"),
        Query("vertical, 1", "GET", f"{SEARCH}?verticals=Gaming"),
        Query("verticals, 2 (match-count rank)", "GET", f"{SEARCH}?verticals=Gaming,Pets"),
        Query("all four filters (POST body)", "POST", SEARCH,
              {"domain": "lab", "country": "de", "partner_domains": [popular, other], "verticals": ["Gaming", "Pets"]}),
        Query("country us, page 50 of 20", "GET", f"{SEARCH}?country=us&page=50&pageSize=20"),
        Query("autocomplete q=harb, both", "GET", f"{AUTOCOMPLETE}?q=harb"),
        Query("autocomplete q=com, both (matches nearly all)", "GET", f"{AUTOCOMPLETE}?q=com"),
    ]


def run_intelligence_search(bench: Platform, *, publishers: int = 100_000, advertisers: int = 1_000,
                            requests: int = 200) -> SearchResult:
    with in_process(bench.env):
        began = time.perf_counter()
        print(f"  generating and inserting {publishers:,} publishers", flush=True)
        seed_intelligence(publishers, advertisers)
        _vacuum()
        seed_s = time.perf_counter() - began
        router = importlib.import_module("functions.intelligence").router
        brands = _popular_partners(advertiser_domains(advertisers))
        http_log = logging.getLogger("http")
        level = http_log.level
        http_log.setLevel(logging.WARNING)  # no request log line per measured request
        try:
            measured = [_measure(router, query, bench.admin_token, requests) for query in queries(brands)]
        finally:
            http_log.setLevel(level)  # the caller (a test run, say) keeps its request logs
    return SearchResult(publishers, advertisers, seed_s, requests, measured)


def _popular_partners(brands: list[str]) -> list[str]:
    """The two partner domains most publishers list (the largest partner matches)."""
    pool = owner_pool()
    try:
        with pool.connection() as con:
            rows = con.run("SELECT d.domain FROM analytics_publisher_search AS s, unnest(s.partner_ids) AS p (id)"
                           " JOIN analytics_partner_domains AS d ON d.partner_id = p.id"
                           " GROUP BY d.domain ORDER BY count(*) DESC, d.domain LIMIT 2")
    finally:
        pool.close()
    return [row[0] for row in rows] or brands[:2]


def _vacuum() -> None:
    """Analyzed, pages all-visible, as autovacuum leaves the tables after a bulk load (see list_latency)."""
    pool = owner_pool()
    try:
        with pool.connection() as con:
            session = Session(con)
            session.execute("SET synchronous_commit = on")
            for name in ("analytics_publishers", "analytics_publisher_search", "analytics_partner_domains",
                         "analytics_advertisers"):
                session.execute(f"VACUUM ANALYZE {name}")
    finally:
        pool.close()


def _measure(router: Any, query: Query, token: str, requests: int) -> Measured:
    print(f"  {query.kind}", flush=True)
    for _ in range(5):
        response = router.dispatch(_request(query, token))
    if response.status_code != 200:
        raise RuntimeError(f"{query.method} {query.path} answered {response.status_code}: {response.get_data()!r}")
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        router.dispatch(_request(query, token))
        latencies.append(time.perf_counter() - started)
    p50, p95, _ = percentiles_ms(latencies)
    with recording() as statements:
        response = router.dispatch(_request(query, token))
    plans = [plan for sql, _, plan in _replay(statements) if "analytics_" in sql]
    text = "\n".join(line for plan in plans for line in plan)
    scans = list(dict.fromkeys(SCAN.findall(text)))
    sql_ms = sum(float(m) for m in re.findall(r"Execution Time: ([\d.]+) ms", text))
    return Measured(query, _total(response), p50, p95, scans, sql_ms)


def _total(response: flask.Response) -> str:
    body = json.loads(response.get_data())
    if "total" in body:
        return f"{body['total']:,}{'+' if body['total_is_lower_bound'] else ''}"
    return f"{len(body['data'])} shown"


def _request(query: Query, token: str) -> flask.Request:
    builder = EnvironBuilder(method=query.method, path=query.path, json=query.body,
                             headers=Headers({"Authorization": f"Bearer {token}"}),
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return flask.Request(builder.get_environ())
    finally:
        builder.close()


def report_intelligence_search(result: SearchResult, path: Path = RESULTS) -> str:
    """Print the figures and record them in benchmarks/RESULTS.md."""
    rows = [[m.query.kind, f"`{m.query.method} {m.query.path.split('/api/v1/')[-1]}`", m.total, f"{m.p50_ms:.1f}",
             f"{m.p95_ms:.1f}", f"{m.sql_ms:.1f}", "; ".join(m.scans)] for m in result.measured]
    searches = [m for m in result.measured if m.query.path.startswith(SEARCH)]
    worst = max(searches, key=lambda m: m.p50_ms)
    verdict = "met" if worst.p50_ms < TARGET_MEDIAN_MS else "NOT met"
    body = "\n".join([
        "## Publisher search on 100k publishers (issue 8)", "", *run_facts(),
        f"- {result.publishers:,} generated publishers (+ the demo seed's), partners drawn from {result.advertisers:,}"
        f" advertiser domains; generated, inserted through the repository and its trigger, VACUUM ANALYZEd in"
        f" {result.seed_s:.0f} s",
        f"- each kind served in-process by the intelligence function's router {result.requests} times after 5"
        " warm-up requests (token, cached profile, policy, validation, SQL, JSON; no network); then once more with"
        " its SQL recorded and EXPLAIN ANALYZEd: `SQL ms` is the sum of the statements' execution times, `scans`"
        " the scan nodes of their plans",
        f"- target: search median under {TARGET_MEDIAN_MS:.0f} ms — {verdict} (slowest search median:"
        f" {worst.query.kind}, {worst.p50_ms:.1f} ms)",
        "", table(["query kind", "request", "total", "median ms", "p95 ms", "SQL ms", "scans"], rows),
    ])
    print(body, flush=True)
    update_section("intelligence-search", body, path)
    return body
