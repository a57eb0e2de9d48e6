"""Dashboards under load (issue 6): simulated users across organizations, against a delayed Everflow sandbox.

Fifty organizations by default (30 advertiser organizations with one advertiser and 2-4 campaigns,
15 affiliate organizations with one affiliate, 4 agencies with two advertisers of two campaigns
each, one platform owner) get their Everflow objects in the sandbox and the provider-mapping rows
that point at them, as a finished sync leaves them; 20 users each (a quarter managers, the rest
Users) with HS256 tokens. The sandbox runs in a process of its own (benchmarks/dashboard_sandbox.py)
and delays every `/v1` call, standing in for the round trip to api.eflow.team.

The dashboard-api runs under functions-framework (gunicorn) as in production; every phase gets a
fresh dashboard-api with a report-cache prefix of its own (an empty cache) and a fresh sandbox
started from the same objects (so none reuses another's memoised traffic):

- cold: one connection; one manager per organization opens the 30-day dashboard (overview, the three
  charts, campaigns: five requests, one after another), organization after organization. Every load
  is a first load, undiluted by warm ones; the Everflow calls each load made are counted exactly.
- traffic, per concurrency: every user opens the dashboard once for a period drawn from a realistic
  mix, users in random order; each connection serves one user at a time, its five requests one after
  another. Each response's `X-Cache` is counted; Everflow calls come from the sandbox.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from benchmarks.auth_overhead import in_process
from benchmarks.dashboard_sandbox import EverflowCall, SandboxProcess, sandbox_process
from benchmarks.list_latency import _owner_transaction
from benchmarks.servers import Platform, function_process, wait_for_health
from benchmarks.stats import percentiles_ms
from shared.adapters.everflow.client import EverflowClient
from shared.auth.tokens import issue
from shared.db.session import Session
from shared.domain.roles import Role

ENTRY_POINT = "dashboard_api"
PERIOD_MIX = (("30d", 0.60), ("7d", 0.25), ("today", 0.10), ("90d", 0.05))
PERIOD_DAYS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
COLD_PERIOD = "30d"
VIEWS = ("overview", "revenue-chart", "conversion-chart", "performance-chart", "campaigns")
ZONES = ("America/New_York", "Europe/London", "America/Los_Angeles", "UTC")  # one per organization, in turn
KINDS = ("advertiser", "affiliate", "agency", "platform_owner")
PATH_TYPE = {"advertiser": "advertiser", "affiliate": "affiliate", "agency": "agency", "platform_owner": "platform"}
MANAGER = {"advertiser": Role.ADVERTISER_MANAGER, "affiliate": Role.AFFILIATE_MANAGER,
           "agency": Role.AGENCY_MANAGER, "platform_owner": Role.PLATFORM_OWNER}
REQUEST_TIMEOUT_S = 120.0  # a platform-wide cold report makes the sandbox compute for seconds
WARM_UP = 5
MAPPING_COLUMNS = {"advertiser": ("provider_advertiser_id", "last_sync_at"),
                   "affiliate": ("provider_affiliate_id", "last_sync_at"),
                   "campaign": ("provider_offer_id", "last_synced_at")}


@dataclass(frozen=True)
class Options:
    users: int = 1_000
    organizations: int = 50
    concurrency: tuple[int, ...] = (4, 8)
    delay_ms: int = 80
    cold_organizations: int | None = None  # None: every organization
    generating_cold: bool = False  # also the cold phase with the sandbox generating traffic on the fly
    seed: int = 6


# --- layout and traffic (pure) --------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """How many organizations of each type."""

    advertisers: int
    affiliates: int
    agencies: int
    platforms: int

    def kinds(self) -> list[str]:
        counts = (self.advertisers, self.affiliates, self.agencies, self.platforms)
        return [kind for kind, count in zip(KINDS, counts, strict=True) for _ in range(count)]


def layout_for(organizations: int) -> Layout:
    """30:15:4:1 as of 50: affiliates and agencies in proportion (at least one), one platform owner, advertisers."""
    if organizations < 4:
        raise ValueError("at least 4 organizations: one of each type")
    affiliates = max(1, round(organizations * 15 / 50))
    agencies = max(1, round(organizations * 4 / 50))
    return Layout(organizations - affiliates - agencies - 1, affiliates, agencies, 1)


def spread(total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` as evenly as can be, the larger shares first."""
    share, extra = divmod(total, buckets)
    return [share + (index < extra) for index in range(buckets)]


def roles_for(kind: str, count: int) -> list[Role]:
    """A quarter of an organization's users (at least one) are its managers, the rest Users."""
    managers = max(1, count // 4)
    return [MANAGER[kind]] * managers + [Role.USER] * (count - managers)


def draw_period(rng: random.Random) -> str:
    names, weights = zip(*PERIOD_MIX, strict=True)
    return rng.choices(names, weights)[0]


def overlap_s(began: float, ended: float, calls: Iterable[EverflowCall]) -> float:
    """Seconds of [began, ended] during which at least one of the calls was running (their union)."""
    spans = sorted((max(c.began, began), min(c.ended, ended)) for c in calls if c.ended > began and c.began < ended)
    total, reach = 0.0, began
    for start, end in spans:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


# --- organizations, Everflow objects, users -------------------------------------------------------

@dataclass(frozen=True)
class Org:
    organization_id: int
    kind: str
    zone: str
    offers: int  # Everflow offers of its own (advertisers and agencies)

    @property
    def path(self) -> str:
        return f"/api/v1/dashboard/{PATH_TYPE[self.kind]}/{self.organization_id}"


@dataclass(frozen=True)
class User:
    index: int
    org: Org
    role: Role
    token: str
    period: str

    def targets(self) -> list[tuple[str, str]]:
        """(view, path) of the five requests of one dashboard load."""
        query = f"?period={self.period}&timezone={quote(self.org.zone, safe='')}"
        return [(view, self.org.path + ("" if view == "overview" else f"/{view}") + query) for view in VIEWS]


def arrange(platform: Platform, sandbox: SandboxProcess, options: Options, rng: random.Random) -> list[User]:
    """Create the organizations, their synced catalogue (in the sandbox too) and the users; return the users."""
    client = EverflowClient(sandbox.settings["EVERFLOW_BASE_URL"], sandbox.settings["EVERFLOW_API_KEY"])
    layout = layout_for(options.organizations)
    try:
        with in_process(platform.env):
            return _owner_transaction(lambda session: _Arranger(session, client, platform.env["SUPABASE_JWT_SECRET"],
                                                                rng).everything(layout, options.users))
    finally:
        client.close()


@dataclass(frozen=True)
class _Arranger:
    """Writes our rows as the tables' owner and creates the matching Everflow objects, in one transaction."""

    session: Session
    client: EverflowClient
    secret: str
    rng: random.Random
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])  # unique names and e-mails per run

    def everything(self, layout: Layout, users: int) -> list[User]:
        orgs = [self.organization(kind, f"Bench {kind} {number} {self.tag}", ZONES[number % len(ZONES)])
                for number, kind in enumerate(layout.kinds())]
        made: list[User] = []
        for org, count in zip(orgs, spread(users, len(orgs)), strict=True):
            made += [self.user(org, role, len(made) + offset) for offset, role in enumerate(roles_for(org.kind, count))]
        return made

    def organization(self, kind: str, name: str, zone: str) -> Org:
        org = int(self.session.fetch_value(
            "INSERT INTO organizations (name, type, contact_email) VALUES (:name, :type, :email)"
            " RETURNING organization_id", name=name, type=kind, email=f"{uuid.uuid4().hex[:10]}@bench.example"))
        offers = 0
        if kind == "advertiser":
            offers = self.advertiser(org, name, self.rng.randint(2, 4))
        elif kind == "agency":  # its own advertisers (delegated clients come with issue 8)
            offers = sum(self.advertiser(org, f"{name} client {n}", 2) for n in (1, 2))
        elif kind == "affiliate":
            self.affiliate(org, name)
        return Org(org, kind, zone, offers)

    def advertiser(self, org: int, name: str, campaigns: int) -> int:
        """One active advertiser with active CPA/RPA campaigns, in Everflow and mapped; the campaign count."""
        advertiser = _insert(self.session, "advertisers", "advertiser_id", organization_id=org, name=name,
                             status="active")
        remote = int(self.client.create_advertiser({"name": name, "account_status": "active", "network_employee_id": 1,
                                                    "default_currency_id": "USD"})["network_advertiser_id"])
        _map(self.session, "advertiser", advertiser, org, remote)
        for number in range(1, campaigns + 1):
            title, payout = f"{name} offer {number}", round(self.rng.uniform(3, 15), 2)
            campaign = _insert(self.session, "campaigns", "campaign_id", organization_id=org, advertiser_id=advertiser,
                               name=title, status="active", destination_url="https://shop.example/landing")
            offer = self.client.create_offer({
                "network_advertiser_id": remote, "name": title, "offer_status": "active",
                "destination_url": "https://shop.example/landing?tid={transaction_id}",
                "payout_revenue": [{"payout_type": "cpa", "payout_amount": payout, "revenue_type": "rpa",
                                    "revenue_amount": round(payout * 1.6, 2), "is_default": True,
                                    "is_private": False}]})
            _map(self.session, "campaign", campaign, org, int(offer["network_offer_id"]))
        return campaigns

    def affiliate(self, org: int, name: str) -> None:
        affiliate = _insert(self.session, "affiliates", "affiliate_id", organization_id=org, name=name, status="active")
        remote = int(self.client.create_affiliate({"name": name, "account_status": "active", "network_employee_id": 1,
                                                   "default_currency_id": "USD"})["network_affiliate_id"])
        _map(self.session, "affiliate", affiliate, org, remote)

    def user(self, org: Org, role: Role, index: int) -> User:
        user_id, email = uuid.uuid4(), f"user{index}-{self.tag}@bench.example"
        self.session.execute("INSERT INTO profiles (id, organization_id, role_id, email) VALUES (CAST(:id AS UUID),"
                             " :org, :role, :email)", id=str(user_id), org=org.organization_id, role=int(role),
                             email=email)
        return User(index, org, role, issue(user_id, self.secret, email=email), draw_period(self.rng))


def _insert(session: Session, table: str, key: str, **values: object) -> int:
    names = ", ".join(values)
    return int(session.fetch_value(f"INSERT INTO {table} ({names}) VALUES ({', '.join(f':{n}' for n in values)})"
                                   f" RETURNING {key}", **values))


def _map(session: Session, kind: str, entity_id: int, org: int, remote: int) -> None:
    """The mapping row a finished sync writes: synced at version 1, pointing at the Everflow object."""
    column, synced_at = MAPPING_COLUMNS[kind]
    session.execute(f"INSERT INTO {kind}_provider_mappings ({kind}_id, organization_id, provider_type, {column},"
                    f" sync_status, synced_version, {synced_at}) VALUES (:entity, :org, 'everflow', :remote,"
                    " 'synced', 1, now())", entity=entity_id, org=org, remote=str(remote))


# --- measuring ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """One response: whose, which view, its status and X-Cache, and when it ran (perf_counter seconds)."""

    user: User
    view: str
    status: int
    cache: str
    began: float
    ended: float

    @property
    def ms(self) -> float:
        return (self.ended - self.began) * 1000


@dataclass(frozen=True)
class Phase:
    label: str
    connections: int
    samples: list[Sample]
    calls: list[EverflowCall]
    wall_s: float
    errors: int  # connection failures (status-coded failures are samples)


@contextlib.contextmanager
def dashboard_api(platform: Platform, sandbox: SandboxProcess, label: str) -> Iterator[int]:
    """A dashboard-api under gunicorn, pointed at the sandbox, with an empty cache of its own; its port."""
    env = {**platform.env, **sandbox.settings, "REPORT_CACHE_PREFIX": f"bench-{label}-{uuid.uuid4().hex[:8]}"}
    with function_process(ENTRY_POINT, env, platform.work_dir / f"dashboards-{label}.log") as function:
        wait_for_health(function)
        _warm_up(function.port, platform)
        yield function.port


def _warm_up(port: int, platform: Platform) -> None:
    """First requests load modules and open pools: the demo advertiser (nothing synced: no Everflow call)."""
    path = f"/api/v1/dashboard/advertiser/{platform.organization_id}?period=30d"
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        for _ in range(WARM_UP):
            con.request("GET", path, headers={"Authorization": f"Bearer {platform.admin_token}"})
            response = con.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"warm-up GET {path} answered {response.status}")
    finally:
        con.close()


def open_dashboard(con: http.client.HTTPConnection, user: User) -> list[Sample]:
    """The five requests of one dashboard load, one after another on one keep-alive connection."""
    samples = []
    headers = {"Authorization": f"Bearer {user.token}", "Connection": "keep-alive"}
    for view, path in user.targets():
        began = time.perf_counter()
        con.request("GET", path, headers=headers)
        response = con.getresponse()
        response.read()
        samples.append(Sample(user, view, response.status, response.getheader("X-Cache", "none"), began,
                              time.perf_counter()))
    return samples


@dataclass(frozen=True)
class Arranged:
    """The users, and the files a sandbox starts from: its objects and its daily aggregates."""

    users: list[User]
    snapshot: Path
    aggregates: Path


def run_cold(platform: Platform, arranged: Arranged, options: Options, *, generating: bool = False) -> Phase:
    """One manager per organization opens the 30-day dashboard on an empty cache, one load at a time.

    `generating`: the sandbox computes every (pair, day) on demand instead of reading the aggregates.
    """
    chosen = _one_manager_per_org(arranged.users)[:options.cold_organizations]
    label = "cold-generating" if generating else "cold"
    aggregates = None if generating else arranged.aggregates
    with sandbox_process(delay_ms=options.delay_ms, snapshot=arranged.snapshot, aggregates=aggregates,
                         log_path=platform.work_dir / f"sandbox-{label}.log") as sandbox, \
            dashboard_api(platform, sandbox, label) as port:
        sandbox.calls()  # the warm-up's, if any
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        began = time.perf_counter()
        try:
            samples = [sample for user in chosen for sample in open_dashboard(con, user)]
        finally:
            con.close()
        wall = time.perf_counter() - began
        calls = sandbox.calls()
    return Phase(label, 1, samples, calls, wall, 0)


def _one_manager_per_org(users: list[User]) -> list[User]:
    firsts: dict[int, User] = {}
    for user in users:
        firsts.setdefault(user.org.organization_id, user)
    return [User(u.index, u.org, u.role, u.token, COLD_PERIOD) for u in firsts.values()]


def run_traffic(platform: Platform, arranged: Arranged, connections: int, options: Options) -> tuple[Phase, Phase]:
    """Every user opens the dashboard once, in random order, `connections` users at a time; then once again.

    The second visit finds every dashboard cached (unless its first load was longer ago than the TTL)
    and nothing in flight: warm latency alone, not mixed with waits for a concurrent fetch.
    """
    rng = random.Random(options.seed + connections)
    label = f"traffic-{connections}"
    with sandbox_process(delay_ms=options.delay_ms, snapshot=arranged.snapshot, aggregates=arranged.aggregates,
                         log_path=platform.work_dir / f"sandbox-{label}.log") as sandbox, \
            dashboard_api(platform, sandbox, label) as port:
        sandbox.calls()
        visits = []
        for name in ("first visit", "revisit"):
            order = arranged.users[:]
            rng.shuffle(order)
            samples, errors, wall = _drive(port, order, connections)
            visits.append(Phase(name, connections, samples, sandbox.calls(), wall, errors))
    return visits[0], visits[1]


def _drive(port: int, order: list[User], connections: int) -> tuple[list[Sample], int, float]:
    """`connections` threads take the next user until none is left; their samples, failures and the wall time."""
    queue, lock = iter(order), threading.Lock()
    results: list[list[Sample]] = [[] for _ in range(connections)]
    failures = [0] * connections
    start = threading.Barrier(connections + 1)

    def next_user() -> User | None:
        with lock:
            return next(queue, None)

    def work(slot: int) -> None:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        start.wait()
        while (user := next_user()) is not None:
            try:
                results[slot] += open_dashboard(con, user)
            except (OSError, http.client.HTTPException):
                failures[slot] += 1
                con.close()  # the next request reconnects
        con.close()

    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return [s for part in results for s in part], sum(failures), time.perf_counter() - began


# --- figures --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p95: float
    p99: float

    @classmethod
    def of_ms(cls, values_ms: list[float]) -> Latency:
        p50, p95, p99 = percentiles_ms([value / 1000 for value in values_ms])
        return cls(len(values_ms), p50, p95, p99)

    def text(self) -> str:
        return f"{self.p50:.1f} / {self.p95:.1f} / {self.p99:.1f}" if self.count else "-"


def cache_counts(samples: Iterable[Sample]) -> Counter[str]:
    """Responses by X-Cache value (hit, miss, stale), and by status when not 200."""
    return Counter(s.cache if s.status == 200 else f"status {s.status}" for s in samples)


def hit_rate(samples: list[Sample]) -> float:
    """Responses served without an Everflow call (X-Cache hit) over all answered responses."""
    counts = cache_counts(samples)
    served = counts["hit"] + counts["miss"] + counts["stale"]
    return counts["hit"] / served if served else float("nan")


def latency(samples: Iterable[Sample], cache: str | None = None) -> Latency:
    return Latency.of_ms([s.ms for s in samples if s.status == 200 and (cache is None or s.cache == cache)])


def loads(samples: list[Sample]) -> dict[int, list[Sample]]:
    """The samples of each dashboard load (one per user), in order."""
    by_user: dict[int, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_user[sample.user.index].append(sample)
    return by_user


def cold_keys(samples: list[Sample]) -> int:
    """Distinct (organization, period) dashboards: on an empty cache, each one's first load is cold."""
    return len({(s.user.org.organization_id, s.user.period) for s in samples})


def calls_per_load(phase: Phase) -> dict[int, tuple[int, int]]:
    """For a sequential phase: (reporting, other) Everflow calls made during each user's load."""
    result = {}
    for user, part in loads(phase.samples).items():
        began, ended = part[0].began, part[-1].ended
        inside = [call for call in phase.calls if began <= call.began < ended]
        reporting = sum(call.reporting for call in inside)
        result[user] = (reporting, len(inside) - reporting)
    return result


def everflow_ms(sample: Sample, calls: list[EverflowCall]) -> float:
    """The part of a response's time during which some Everflow call was running (sequential phases only)."""
    return overlap_s(sample.began, sample.ended, calls) * 1000


def sandbox_compute_ms(calls: list[EverflowCall], delay_ms: int, *, reporting: bool = True) -> Latency:
    """The sandbox's own time per call beyond the injected delay: routing, computing the report, JSON."""
    return Latency.of_ms([(c.ended - c.began) * 1000 - delay_ms for c in calls if c.reporting == reporting])


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def by_kind(samples: list[Sample]) -> dict[str, list[Sample]]:
    grouped: dict[str, list[Sample]] = {kind: [] for kind in KINDS}
    for sample in samples:
        grouped[sample.user.org.kind].append(sample)
    return {kind: part for kind, part in grouped.items() if part}


def select(samples: list[Sample], keep: Callable[[Sample], bool]) -> list[Sample]:
    return [s for s in samples if keep(s)]


# --- the run --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DashboardsResult:
    options: Options
    users: list[User]
    cold: Phase
    cold_generating: Phase | None
    traffic: list[Phase]
    revisits: list[Phase]
    arrange_s: float
    aggregate_days: int
    aggregate_pairs_days: int
    prime_s: float


def aggregate_days() -> int:
    """Days of stored aggregates every period of the mix needs: twice the longest (with the previous), and a margin."""
    return 2 * max(PERIOD_DAYS[name] for name, _ in PERIOD_MIX) + 3


def run_dashboards(platform: Platform, options: Options) -> DashboardsResult:
    """Arrange the organizations once, then the cold phases and one traffic phase per concurrency."""
    rng = random.Random(options.seed)
    snapshot, aggregates = platform.work_dir / "everflow-objects.json", platform.work_dir / "everflow-days.pickle"
    began = time.perf_counter()
    with sandbox_process(delay_ms=0, snapshot=None, log_path=platform.work_dir / "sandbox-arrange.log") as sandbox:
        users = arrange(platform, sandbox, options, rng)
        sandbox.save(snapshot)
        arrange_s, began = time.perf_counter() - began, time.perf_counter()
        print(f"  arranged {options.organizations} organizations and {len(users)} users in {arrange_s:.1f} s;"
              f" computing the sandbox's daily aggregates of {aggregate_days()} days", flush=True)
        pairs_days = sandbox.prime(aggregate_days(), aggregates)
    prime_s = time.perf_counter() - began
    print(f"  {pairs_days:,} (pair, day) aggregates in {prime_s:.1f} s", flush=True)
    arranged = Arranged(users, snapshot, aggregates)
    cold = _announced(run_cold(platform, arranged, options))
    generating = _announced(run_cold(platform, arranged, options, generating=True)) if options.generating_cold else None
    traffic, revisits = [], []
    for connections in options.concurrency:
        first, again = run_traffic(platform, arranged, connections, options)
        traffic.append(_announced(first))
        revisits.append(_announced(again))
    return DashboardsResult(options, users, cold, generating, traffic, revisits, arrange_s, aggregate_days(),
                            pairs_days, prime_s)


def _announced(phase: Phase) -> Phase:
    print(f"  {phase.label}, {phase.connections} connection(s): {len(phase.samples)} responses, hit rate"
          f" {hit_rate(phase.samples):.1%}, {len(phase.calls)} Everflow calls, {phase.wall_s:.1f} s", flush=True)
    return phase
