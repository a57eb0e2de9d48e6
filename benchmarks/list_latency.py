"""List and get latency at 1k and at 100k rows per table (issue 4): does it stay flat, and if not, why.

Two partner organizations get N advertisers, affiliates, campaigns and tracking links (bulk
`INSERT ... SELECT generate_series` as the tables' owner), first N = 1,000 then N = 100,000, each
followed by VACUUM ANALYZE; after each, every route is called over HTTP on its own function under
functions-framework (gunicorn), as in production. A route whose median grows past FLAT_LIMIT is
called once more in-process with its SQL recorded, and each statement is EXPLAIN ANALYZEd with
the same parameters and tenant scope.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import flask
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from benchmarks.auth_overhead import in_process
from benchmarks.load import python_load
from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform, function_process, get_status, wait_for_health
from benchmarks.stats import LoadSummary
from functions.registry import by_entry_point
from shared.auth.tokens import issue
from shared.db.pool import get_pool, owner_pool
from shared.db.session import Session
from shared.db.uow import begin_statement
from shared.domain.principal import TenantScope
from shared.domain.roles import Role

SIZES = (1_000, 100_000)
FLAT_LIMIT = 1.5  # a median ratio (100k / 1k) above this is called out as not flat...
NOISE_MS = 1.0  # ...unless the median grew by less than this (scheduling noise on a shared machine)
WARM_UP = 20
MAX_SECONDS = 8.0  # per route and size: a slow route is cut short rather than stretching the run
ENTRY_POINTS = {"advertisers": "advertisers_api", "affiliates": "affiliates_api", "campaigns": "campaigns_api",
                "tracking links": "tracking_links_api"}
Statement = tuple[str, dict[str, Any]]
T = TypeVar("T")

# Rows g = first..last of one table; statuses cycle so a status filter keeps a quarter to a half,
# none archived (lists hide those), and created_at grows with g.
CREATED = "TIMESTAMPTZ '2025-01-01 00:00:00+00' + g * INTERVAL '1 minute'"
SERIES = "generate_series(CAST(:first AS INTEGER), CAST(:last AS INTEGER)) AS g"
GROW = {
    "advertisers": f"""
        INSERT INTO advertisers (organization_id, name, contact_email, status, created_at, updated_at)
        SELECT :org, 'Bench advertiser ' || g, 'advertiser' || g || '@bench.example',
               (ARRAY['active', 'pending', 'inactive', 'rejected'])[1 + g % 4], {CREATED}, {CREATED}
        FROM {SERIES}""",
    "affiliates": f"""
        INSERT INTO affiliates (organization_id, name, contact_email, status, created_at, updated_at)
        SELECT :partner, 'Bench affiliate ' || g, 'affiliate' || g || '@bench.example',
               (ARRAY['active', 'pending', 'inactive', 'rejected'])[1 + g % 4], {CREATED}, {CREATED}
        FROM {SERIES}""",
    "campaigns": f"""
        INSERT INTO campaigns (organization_id, advertiser_id, name, status, destination_url, created_at, updated_at)
        SELECT :org, owner.ids[1 + g % cardinality(owner.ids)], 'Bench campaign ' || g,
               (ARRAY['active', 'draft', 'paused'])[1 + g % 3], 'https://shop.example/?c=' || g, {CREATED}, {CREATED}
        FROM (SELECT array_agg(advertiser_id ORDER BY advertiser_id) AS ids FROM advertisers
              WHERE organization_id = :org) AS owner, {SERIES}""",
    # source_id is unique per row, so the (campaign, affiliate, source, sub1..sub5) key holds.
    "tracking links": f"""
        INSERT INTO tracking_links (organization_id, affiliate_org_id, campaign_id, affiliate_id, name, status,
                                    tracking_url, source_id, created_at, updated_at)
        SELECT :org, :partner, c.ids[1 + g % cardinality(c.ids)], a.ids[1 + g % cardinality(a.ids)],
               'Bench link ' || g, (ARRAY['active', 'paused'])[1 + g % 2], 'https://track.example/' || g,
               'bench-' || g, {CREATED}, {CREATED}
        FROM (SELECT array_agg(campaign_id ORDER BY campaign_id) AS ids FROM campaigns
              WHERE organization_id = :org) AS c,
             (SELECT array_agg(affiliate_id ORDER BY affiliate_id) AS ids FROM affiliates
              WHERE organization_id = :partner) AS a, {SERIES}""",
}
# entity: (table, key, the Tenants field naming the organization that owns its rows)
TABLES = {"advertisers": ("advertisers", "advertiser_id", "org"),
          "affiliates": ("affiliates", "affiliate_id", "partner"),
          "campaigns": ("campaigns", "campaign_id", "org"),
          "tracking links": ("tracking_links", "tracking_link_id", "org")}


@dataclass(frozen=True)
class Tenants:
    """The benchmark's advertiser organization, its affiliate partner, and a manager of each."""

    org: int
    partner: int
    advertiser_manager: uuid.UUID
    affiliate_manager: uuid.UUID


@dataclass(frozen=True)
class Route:
    entity: str
    kind: str
    path: str
    token: str


@dataclass(frozen=True)
class Measured:
    route: Route
    by_size: dict[int, LoadSummary]

    @property
    def median_ratio(self) -> float:
        small, large = (self.by_size[size].p50_ms for size in SIZES)
        return large / small if small else float("nan")

    @property
    def p99_ratio(self) -> float:
        small, large = (self.by_size[size].p99_ms for size in SIZES)
        return large / small if small else float("nan")

    @property
    def flat(self) -> bool:
        small, large = (self.by_size[size].p50_ms for size in SIZES)
        return self.median_ratio <= FLAT_LIMIT or large - small < NOISE_MS


@dataclass(frozen=True)
class Explained:
    route: Route
    sql: str
    params: dict[str, Any]
    plan: list[str]


@dataclass(frozen=True)
class ListsResult:
    measured: list[Measured]
    explained: list[Explained]
    seed_s: dict[int, float]
    requests: int


def run_lists(platform: Platform, *, requests: int) -> ListsResult:
    """Seed, measure every route at each size over HTTP, then explain the routes that grew."""
    external = bool(os.environ.get("DATABASE_URL"))  # read before in_process() lends this process the platform's
    with in_process(platform.env), contextlib.ExitStack() as stack:
        tenants = _owner_transaction(create_tenants)
        if external:
            stack.callback(_remove_seeded, tenants)
        ports = _start_functions(stack, platform)
        summaries: dict[int, dict[Route, LoadSummary]] = {}
        seed_s: dict[int, float] = {}
        routes: list[Route] = []
        for size in SIZES:
            seed_s[size] = _seed(tenants, size)
            if not routes:  # the rows sampled at the first size are read again at the next
                routes = _routes(tenants, _owner_transaction(lambda session: sample_ids(session, tenants)), platform)
            summaries[size] = {route: _measure(ports[route.entity], route, size, requests) for route in routes}
        measured = [Measured(r, {size: summaries[size][r] for size in SIZES}) for r in routes]
        explained = [_explain(m.route) for m in measured if not m.flat]
    return ListsResult(measured, explained, seed_s, requests)


# --- seeding, as the tables' owner --------------------------------------------------------------

def _owner_transaction(work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one committed transaction of the login role, with the cross-tenant flag."""
    pool = owner_pool()
    try:
        with pool.connection() as con:
            session = Session(con)
            session.execute(begin_statement(TenantScope.everything()))  # FORCEd RLS binds the owner too
            try:
                result = work(session)
            except BaseException:
                session.rollback()
                raise
            session.execute("COMMIT")
            return result
    finally:
        pool.close()


def create_tenants(session: Session) -> Tenants:
    """An advertiser and an affiliate organization in an active partnership, with a manager each."""
    tag = uuid.uuid4().hex[:8]
    org, partner = _organization(session, "advertiser", tag), _organization(session, "affiliate", tag)
    session.execute("INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, status,"
                    " association_type, approved_at) VALUES (:org, :partner, 'active', 'invitation', now())",
                    org=org, partner=partner)
    tenants = Tenants(org, partner, uuid.uuid4(), uuid.uuid4())
    for user_id, organization, role in ((tenants.advertiser_manager, org, Role.ADVERTISER_MANAGER),
                                        (tenants.affiliate_manager, partner, Role.AFFILIATE_MANAGER)):
        session.execute("INSERT INTO profiles (id, organization_id, role_id, email)"
                        " VALUES (CAST(:id AS UUID), :org, :role, :email)",
                        id=str(user_id), org=organization, role=int(role), email=f"{user_id.hex[:12]}@bench.example")
    return tenants


def _organization(session: Session, kind: str, tag: str) -> int:
    return int(session.fetch_value(
        "INSERT INTO organizations (name, type, contact_email) VALUES (:name, :type, :email) RETURNING organization_id",
        name=f"Bench {kind} {tag}", type=kind, email=f"{kind}-{tag}@bench.example"))


def _seed(tenants: Tenants, size: int) -> float:
    """Grow every table of the tenants to `size` rows, then VACUUM ANALYZE; return the seconds it took."""
    print(f"  seeding {size:,} rows per table", flush=True)
    began = time.perf_counter()
    _owner_transaction(lambda session: _grow(session, tenants, size))
    _vacuum()
    return time.perf_counter() - began


def _vacuum() -> None:
    """Leave the tables as autovacuum soon would after a bulk load: analyzed, their pages marked all-visible.

    Measuring before that happens would time whichever state autovacuum had reached, and a capped
    count reads an index alone (index-only scan) only on all-visible pages. VACUUM marks a page so
    only once the commit of its rows is flushed; the embedded server commits asynchronously, so a
    synchronous commit (the ANALYZE's) flushes the seeding first.
    """
    tables = "advertisers, affiliates, campaigns, tracking_links, organizations, organization_associations"
    pool = owner_pool()
    try:
        with pool.connection() as con:  # VACUUM cannot run inside a transaction
            session = Session(con)
            session.execute("SET synchronous_commit = on")
            session.execute(f"ANALYZE {tables}")
            session.execute(f"VACUUM {tables}")
    finally:
        pool.close()


def _grow(session: Session, tenants: Tenants, size: int) -> None:
    for entity, sql in GROW.items():
        name, _, owner = TABLES[entity]
        have = session.fetch_value(f"SELECT count(*) FROM {name} WHERE organization_id = :owner",
                                   owner=getattr(tenants, owner))
        if have < size:
            session.execute(sql, org=tenants.org, partner=tenants.partner, first=have + 1, last=size)


def sample_ids(session: Session, tenants: Tenants) -> dict[str, int]:
    """The id of each table's 500th row: read at both sizes, so both reads fetch the same row."""
    ids = {}
    for entity, (name, key, owner) in TABLES.items():
        ids[entity] = session.fetch_value(f"SELECT {key} FROM {name} WHERE organization_id = :owner"
                                          f" ORDER BY {key} OFFSET 499 LIMIT 1", owner=getattr(tenants, owner))
    return ids


def _remove_seeded(tenants: Tenants) -> None:
    """Delete every row seeded here from a database we did not start (an embedded one is thrown away)."""
    print("  removing the seeded rows from the external database", flush=True)
    _owner_transaction(lambda session: _delete(session, tenants))


def _delete(session: Session, tenants: Tenants) -> None:
    for name, where in (("tracking_links", "organization_id = :org"), ("campaigns", "organization_id = :org"),
                        ("advertisers", "organization_id = :org"), ("affiliates", "organization_id = :partner"),
                        ("organization_associations", "advertiser_org_id = :org"),
                        ("profiles", "organization_id IN (:org, :partner)"),
                        ("organizations", "organization_id IN (:org, :partner)")):
        session.execute(f"DELETE FROM {name} WHERE {where}", org=tenants.org, partner=tenants.partner)


# --- measuring over HTTP ------------------------------------------------------------------------

def _start_functions(stack: contextlib.ExitStack, platform: Platform) -> dict[str, int]:
    """Spawn one functions-framework process per entity (all at once), wait for each to be healthy."""
    functions = {entity: stack.enter_context(function_process(entry, platform.env,
                                                              platform.work_dir / f"lists-{entry}.log"))
                 for entity, entry in ENTRY_POINTS.items()}
    for function in functions.values():
        wait_for_health(function)
    return {entity: function.port for entity, function in functions.items()}


def _routes(tenants: Tenants, ids: dict[str, int], platform: Platform) -> list[Route]:
    secret = platform.env["SUPABASE_JWT_SECRET"]
    advertiser, affiliate = issue(tenants.advertiser_manager, secret), issue(tenants.affiliate_manager, secret)
    collections = {  # an AdvertiserManager may not read affiliates: their own organization's manager does
        "advertisers": (f"/api/v1/organizations/{tenants.org}/advertisers", "/api/v1/advertisers", advertiser),
        "affiliates": (f"/api/v1/organizations/{tenants.partner}/affiliates", "/api/v1/affiliates", affiliate),
        "campaigns": (f"/api/v1/organizations/{tenants.org}/campaigns", "/api/v1/campaigns", advertiser),
        "tracking links": (f"/api/v1/organizations/{tenants.org}/tracking-links", "/api/v1/tracking-links",
                           advertiser),
    }
    routes = []
    for entity, (listing, one, token) in collections.items():
        routes += [Route(entity, "list, first page", f"{listing}?page=1&page_size=20", token),
                   Route(entity, "list, page 50", f"{listing}?page=50&page_size=20", token),
                   Route(entity, "list, status=active", f"{listing}?status=active&page=1&page_size=20", token),
                   Route(entity, "get by id", f"{one}/{ids[entity]}", token)]
    return routes


def _measure(port: int, route: Route, size: int, requests: int) -> LoadSummary:
    headers = {"Authorization": f"Bearer {route.token}"}
    status = get_status(port, route.path, headers)
    if status != 200:
        raise RuntimeError(f"GET {route.path} answered {status}, expected 200; nothing to measure")
    url = f"http://127.0.0.1:{port}{route.path}"
    python_load(url, headers, label="warm-up", connections=1, total_requests=WARM_UP)
    summary = python_load(url, headers, label=route.path, connections=1, total_requests=requests,
                          duration_s=MAX_SECONDS)
    print(f"    {size:>7,} {route.entity}, {route.kind}: median {summary.p50_ms:.2f} ms,"
          f" p99 {summary.p99_ms:.2f} ms ({summary.requests} requests)", flush=True)
    return summary


# --- explaining a route that grew ---------------------------------------------------------------

class _Recorder:
    """A pg8000 connection that also notes each statement it runs, so the route's own SQL can be replayed."""

    def __init__(self, con: Any, statements: list[Statement]) -> None:
        self._con = con
        self._statements = statements

    def run(self, sql: str, **params: Any) -> Any:
        self._statements.append((sql, params))
        return self._con.run(sql, **params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@contextlib.contextmanager
def recording() -> Iterator[list[Statement]]:
    """Note every statement run through this process's pool while the block runs."""
    pool, statements = get_pool(), list[Statement]()
    lend = pool.connection

    @contextlib.contextmanager
    def connection() -> Iterator[Any]:
        with lend() as con:
            yield _Recorder(con, statements)

    pool.connection = connection  # type: ignore[method-assign]  # this process only, for one request
    try:
        yield statements
    finally:
        del pool.connection


def _explain(route: Route) -> Explained:
    """Serve the route in-process with its SQL recorded; EXPLAIN ANALYZE the slowest statement it ran."""
    print(f"  explaining {route.entity}, {route.kind}", flush=True)
    router = importlib.import_module(by_entry_point(ENTRY_POINTS[route.entity]).module).router
    logging.getLogger("http").setLevel(logging.WARNING)  # no request log lines on our stdout
    router.dispatch(_request(route))  # warms the principal cache: what is recorded next is the handler's
    with recording() as statements:
        response = router.dispatch(_request(route))
    if response.status_code != 200:
        raise RuntimeError(f"in-process GET {route.path} answered {response.status_code}")
    plans = _replay(statements)
    sql, params, plan = max(plans, key=lambda explained: _execution_ms(explained[2]))
    return Explained(route, sql, params, plan)


def _request(route: Route) -> flask.Request:
    builder = EnvironBuilder(method="GET", path=route.path, headers=Headers({"Authorization": f"Bearer {route.token}"}),
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return flask.Request(builder.get_environ())
    finally:
        builder.close()


def _replay(statements: list[Statement]) -> list[tuple[str, dict[str, Any], list[str]]]:
    """Run the recorded transaction again (as the application role), explaining each query; roll back."""
    explained = []
    with get_pool().connection() as con:
        try:
            for sql, params in statements:
                if _is_query(sql):
                    rows = con.run(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", **params)
                    explained.append((sql, params, [row[0] for row in rows]))
                elif sql not in {"COMMIT", "ROLLBACK"}:
                    con.run(sql, **params)
        finally:
            con.run("ROLLBACK")
    return explained


def _is_query(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH")) and "set_config(" not in sql


def _execution_ms(plan: list[str]) -> float:
    match = re.search(r"Execution Time: ([\d.]+) ms", "\n".join(plan))
    return float(match.group(1)) if match else 0.0


# --- reporting ----------------------------------------------------------------------------------

def report_lists(result: ListsResult, platform: Platform) -> str:
    """Print the figures and record them in RESULTS.md; return the section."""
    slow = [m for m in result.measured if not m.flat]
    lines = [
        "## List and get latency at 1k and 100k rows per table",
        "",
        *run_facts("python (benchmarks/load.py), 1 keep-alive connection: sequential requests, so latency"
                   " is service time without queueing"),
        f"- server: one `functions-framework --target=<entry point> --source=main.py` (gunicorn) per entity:"
        f" {', '.join(ENTRY_POINTS.values())}; {platform.servers}; rate limits"
        f" {platform.env['RATE_LIMIT_USER_PER_MINUTE']}/min (the Redis round trip is still paid)",
        "- data: one advertiser organization and its affiliate partner (active association); N advertisers,"
        " campaigns and tracking links in the first, N affiliates in the second, statuses cycling (25-50% active,"
        " none archived), bulk-inserted as the tables' owner, then VACUUM ANALYZEd (as autovacuum leaves them);"
        " seeding took "
        + ", ".join(f"{seconds:.1f} s to {size:,}" for size, seconds in result.seed_s.items()),
        "- callers: an AdvertiserManager of the advertiser organization (advertisers, campaigns, tracking links)"
        " and an AffiliateManager of the partner (affiliates: the policy does not let an AdvertiserManager read"
        " them), HS256 tokens from `shared.auth.tokens.issue`",
        f"- load: per route and size {WARM_UP} warm-up requests, then {result.requests} requests or"
        f" {MAX_SECONDS:g} s, whichever ends first (so a slow route has fewer samples and its p99 is near its"
        " maximum); page_size=20; `get by id` reads the same (500th) row at both sizes",
        "",
        table(["entity", "route", "1k median ms", "1k p99 ms", "100k median ms", "100k p99 ms", "median x",
               "p99 x", "requests 1k/100k", "flat"], [_row(m) for m in result.measured]),
        "",
        f"Flat means a 100k/1k median ratio of at most {FLAT_LIMIT:g}, or a median that grew by less than"
        f" {NOISE_MS:g} ms. Not flat: "
        + (", ".join(f"{m.route.entity} {m.route.kind} ({m.median_ratio:.1f}x)" for m in slow) or "none") + ".",
        *_plans(result.explained),
    ]
    section = "\n".join(lines)
    print(section)
    update_section("list-latency", section)
    return section


def _row(measured: Measured) -> list[str]:
    small, large = (measured.by_size[size] for size in SIZES)
    errors = small.errors + large.errors
    requests = f"{small.requests}/{large.requests}" + (f" ({errors} errors)" if errors else "")
    return [measured.route.entity, f"{measured.route.kind} `{measured.route.path}`", f"{small.p50_ms:.2f}",
            f"{small.p99_ms:.2f}", f"{large.p50_ms:.2f}", f"{large.p99_ms:.2f}", f"{measured.median_ratio:.2f}",
            f"{measured.p99_ratio:.2f}", requests, "yes" if measured.flat else "**no**"]


def _plans(explained: list[Explained]) -> list[str]:
    if not explained:
        return []
    lines = ["", "### EXPLAIN (ANALYZE, BUFFERS) at 100k rows of the slowest statement of each route that is not flat",
             "", "Replayed in-process in the route's own transaction (application role, same tenant scope and"
             " parameters), on a warm cache."]
    for item in explained:
        params = ", ".join(f"{name}={value!r}" for name, value in item.params.items())
        lines += ["", f"#### {item.route.entity}, {item.route.kind}: `GET {item.route.path}`", "", "```sql",
                  " ".join(item.sql.split()), f"-- {params}", "```", "", "```text", *item.plan, "```"]
    return lines
