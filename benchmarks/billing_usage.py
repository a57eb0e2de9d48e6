"""The daily usage job for 10,000 advertiser organizations (issue 7): Everflow calls, duration, round trips, memory.

Arranged in bulk, realistic but fast: the Everflow objects (one advertiser and 1-2 offers per
organization, two affiliates running every offer) are inserted straight into the state of an
in-process sandbox; our organizations, advertisers, campaigns (cpa/cpc/cps/cpa_cps in turn) and
their provider mappings with a handful of multi-row INSERTs, as a finished sync leaves them. Most
accounts are prepaid with enough balance, one in ten postpaid, one in twenty prepaid and empty
(insufficient funds).

The job then runs in this process for yesterday, twice. Everflow calls come from the sandbox's
call counter; database round trips are counted by wrapping `Session._run` (every statement the job
sends, one round trip each); memory is the process's peak RSS growth (the sandbox serves from the
same process, so its report computation is included: an upper bound for the job).
"""

from __future__ import annotations

import datetime as dt
import itertools
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.auth_overhead import in_process
from benchmarks.list_latency import _owner_transaction
from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform
from functions.local.embedded import sandbox_settings
from shared.adapters.everflow.sandbox import SandboxServer, start_sandbox
from shared.adapters.everflow.sandbox_state import Kind
from shared.db.session import Session

PAYOUTS = (("cpa", 400, "0"), ("cpc", 8, "0"), ("cps", 0, "6.5"), ("cpa_cps", 150, "2.5"))


@dataclass(frozen=True)
class RunFigures:
    seconds: float
    everflow_calls: int
    report_calls: int
    endpoints: dict[str, int]
    round_trips: int
    rss_growth_mb: float
    recorded: int
    charged: int
    charged_cents: int
    accrued: int
    insufficient_funds: int


@dataclass(frozen=True)
class BillingResult:
    organizations: int
    offers: int
    affiliates: int
    arrange_s: float
    first: RunFigures
    second: RunFigures


def offers_of(index: int) -> int:
    """1 or 2 offers per organization, alternating (about 1.5 each)."""
    return 1 + index % 2


def mode_of(index: int) -> tuple[str, int]:
    """(billing mode, starting balance in cents): postpaid 1 in 10, prepaid and empty 1 in 20, else $10,000."""
    if index % 10 == 0:
        return "postpaid", 0
    if index % 20 == 5:
        return "prepaid", 0
    return "prepaid", 1_000_000


def run_billing_usage(bench: Platform, *, organizations: int = 10_000, affiliates: int = 2) -> BillingResult:
    sandbox = start_sandbox()
    try:
        env = {**bench.env, **sandbox_settings(sandbox), "EVERFLOW_REQUESTS_PER_SECOND": "1000",
               "EVERFLOW_READ_TIMEOUT_S": "600"}
        with in_process(env):
            began = time.perf_counter()
            offers = _arrange(sandbox, organizations, affiliates)
            arrange_s = time.perf_counter() - began
            day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
            first = _measure(sandbox, day)
            second = _measure(sandbox, day)
    finally:
        sandbox.stop()
    return BillingResult(organizations, offers, affiliates, arrange_s, first, second)


def _measure(sandbox: SandboxServer, day: dt.date) -> RunFigures:
    from shared.services.usage_billing import run_daily_usage

    before = sandbox.calls()
    rss_before = _rss_mb()
    with _counted() as trips:
        began = time.perf_counter()
        run = run_daily_usage(day)
        seconds = time.perf_counter() - began
    after = sandbox.calls()
    endpoints = {name: count - before["by_endpoint"].get(name, 0) for name, count in after["by_endpoint"].items()
                 if count != before["by_endpoint"].get(name, 0)}
    return RunFigures(seconds, int(after["total"]) - int(before["total"]), run.everflow_calls, endpoints, trips[0],
                      _rss_mb() - rss_before,
                      run.recorded, run.charged, run.charged_cents, run.accrued, run.insufficient_funds)


@contextmanager
def _counted() -> Iterator[list[int]]:
    """Count every statement sent through a Session (one network round trip each) while the block runs."""
    counter = [0]
    original = Session._run

    def counting(self: Session, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        counter[0] += 1
        return original(self, sql, params)

    Session._run = counting  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        Session._run = original  # type: ignore[method-assign]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _arrange(sandbox: SandboxServer, organizations: int, affiliates: int) -> int:
    """Everflow objects in the sandbox's state, our rows and mappings in SQL; returns the offer count."""
    state = sandbox.state
    for number in range(affiliates):
        state.insert(Kind.AFFILIATES, {"name": f"Bench publisher {number}", "account_status": "active"})
    remote_advertisers, remote_offers = [], []
    for index in range(organizations):
        advertiser = state.insert(Kind.ADVERTISERS, {"name": f"Bench advertiser {index}", "account_status": "active"})
        remote_advertisers.append(int(advertiser["network_advertiser_id"]))
        for number in range(offers_of(index)):
            remote_offers.append(int(state.insert(Kind.OFFERS, _offer(advertiser["network_advertiser_id"],
                                                                      f"Bench offer {index}.{number}"))
                                     ["network_offer_id"]))
    _owner_transaction(lambda session: _rows(session, remote_advertisers, remote_offers))
    return len(remote_offers)


def _offer(advertiser_id: int, name: str) -> dict[str, Any]:
    return {"network_advertiser_id": advertiser_id, "name": name, "offer_status": "active",
            "payout_revenue": [{"payout_type": "cpa", "payout_amount": 4.0, "payout_percentage": 0,
                                "revenue_type": "rpa", "revenue_amount": 6.0, "revenue_percentage": 0,
                                "is_default": True, "is_private": False}]}


def _rows(session: Session, remote_advertisers: list[int], remote_offers: list[int]) -> None:
    count = len(remote_advertisers)
    orgs = [int(r[0]) for r in session._run(
        "INSERT INTO organizations (name, type, contact_email) SELECT 'Bench org ' || n, 'advertiser',"
        " 'bench' || n || '@bench.example' FROM generate_series(1, CAST(:count AS INTEGER)) AS n"
        " RETURNING organization_id", {"count": count})]
    advertisers = [int(r[0]) for r in session._run(
        "INSERT INTO advertisers (organization_id, name, status) SELECT o, 'Bench advertiser ' || o, 'active'"
        " FROM unnest(CAST(:orgs AS BIGINT[])) WITH ORDINALITY AS u(o, n) ORDER BY n RETURNING advertiser_id",
        {"orgs": orgs})]
    _map(session, "advertiser", advertisers, orgs, remote_advertisers)
    owners = [i for i in range(count) for _ in range(offers_of(i))]
    terms = list(itertools.islice(itertools.cycle(PAYOUTS), len(owners)))
    campaigns = [int(r[0]) for r in session._run(
        "INSERT INTO campaigns (organization_id, advertiser_id, name, status, payout_type, payout_amount_cents,"
        " payout_percentage) SELECT o, a, 'Bench campaign ' || n, 'active', k, m, CAST(p AS NUMERIC)"
        " FROM unnest(CAST(:orgs AS BIGINT[]), CAST(:advertisers AS BIGINT[]), CAST(:kinds AS TEXT[]),"
        " CAST(:amounts AS BIGINT[]), CAST(:percentages AS TEXT[])) WITH ORDINALITY AS u(o, a, k, m, p, n)"
        " ORDER BY n RETURNING campaign_id",
        {"orgs": [orgs[i] for i in owners], "advertisers": [advertisers[i] for i in owners],
         "kinds": [t[0] for t in terms], "amounts": [t[1] for t in terms], "percentages": [t[2] for t in terms]})]
    _map(session, "campaign", campaigns, [orgs[i] for i in owners], remote_offers)
    _accounts(session, orgs)


def _map(session: Session, kind: str, ids: list[int], orgs: list[int], remote: list[int]) -> None:
    column = {"advertiser": "provider_advertiser_id", "campaign": "provider_offer_id"}[kind]
    session._run(
        f"INSERT INTO {kind}_provider_mappings ({kind}_id, organization_id, provider_type, {column}, sync_status,"
        " synced_version) SELECT e, o, 'everflow', r, 'synced', 1"
        " FROM unnest(CAST(:ids AS BIGINT[]), CAST(:orgs AS BIGINT[]), CAST(:remote AS TEXT[])) AS u(e, o, r)",
        {"ids": ids, "orgs": orgs, "remote": [str(r) for r in remote]})


def _accounts(session: Session, orgs: list[int]) -> None:
    """Billing modes, and opening balances booked as ledger credits (the balance is always their sum)."""
    modes = [mode_of(i) for i in range(len(orgs))]
    session._run(
        "UPDATE billing_accounts a SET billing_mode = u.mode FROM unnest(CAST(:orgs AS BIGINT[]),"
        " CAST(:modes AS TEXT[])) AS u(o, mode) WHERE a.organization_id = u.o",
        {"orgs": orgs, "modes": [m for m, _ in modes]})
    funded = [(org, cents) for org, (_, cents) in zip(orgs, modes, strict=True) if cents]
    session._run(
        "WITH credit AS (INSERT INTO transactions (organization_id, billing_account_id, type, amount_cents, currency,"
        " balance_before_cents, balance_after_cents, entry_key, description)"
        " SELECT a.organization_id, a.billing_account_id, 'credit', u.cents, a.currency, 0, u.cents,"
        " 'bench:' || a.organization_id, 'Benchmark opening balance' FROM unnest(CAST(:orgs AS BIGINT[]),"
        " CAST(:cents AS BIGINT[])) AS u(o, cents) JOIN billing_accounts a ON a.organization_id = u.o"
        " RETURNING billing_account_id, balance_after_cents)"
        " UPDATE billing_accounts a SET balance_cents = credit.balance_after_cents FROM credit"
        " WHERE a.billing_account_id = credit.billing_account_id",
        {"orgs": [o for o, _ in funded], "cents": [c for _, c in funded]})


def report_billing_usage(result: BillingResult) -> str:
    """Print the figures and record them in benchmarks/RESULTS.md."""
    rows = [[name, f"{r.seconds:.1f}", str(r.everflow_calls), str(r.round_trips), f"{r.rss_growth_mb:.0f}",
             str(r.recorded), str(r.charged), f"{r.charged_cents / 100:,.2f}", str(r.accrued),
             str(r.insufficient_funds)]
            for name, r in (("first run", result.first), ("second run", result.second))]
    body = "\n".join([
        "## Daily usage billing (issue 7)", "", *run_facts(),
        f"- {result.organizations:,} advertiser organizations, {result.offers:,} offers (campaigns: cpa, cpc, cps,"
        f" cpa_cps in turn), {result.affiliates} affiliates running every offer; arranged in {result.arrange_s:.0f} s"
        " (sandbox state + multi-row SQL); 1 in 10 accounts postpaid, 1 in 20 prepaid and empty",
        "- Everflow calls: the sandbox's call counter (the time-zone catalogue is one of them, cached afterwards);"
        " round trips: statements sent through `Session` (wrapped `Session._run`); memory: peak RSS growth of"
        " the process, which also serves the sandbox (an upper bound for the job)",
        "", table(["run", "seconds", "Everflow calls", "DB round trips", "RSS growth MB", "records written",
                   "charges booked", "charged $", "accrued", "insufficient funds"], rows),
        "", f"Second run: {result.second.charged} charges (must be 0).",
        *(f"Everflow calls of the {name} by endpoint: {figures.endpoints}; entity reports the job asked for:"
          f" {figures.report_calls} (one network-wide, then halves by advertiser while Everflow cuts the table"
          " at 10,000 rows)" for name, figures in (("first run", result.first), ("second run", result.second))),
    ])
    print(body, flush=True)
    update_section("billing-usage", body)
    return body
