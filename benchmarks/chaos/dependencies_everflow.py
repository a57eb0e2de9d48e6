"""Scenario "everflow-faults": a catalogue syncing while Everflow answers 429, 500 and hangs; then it must converge.

The sandbox cycles through four faults in 5-s slices for `fault_seconds`: 429 on every call, 500 on
every call, calls held past the client's read timeout before they take effect, and calls held after
they took effect (the answer is lost: a retried create must find the object instead of making a
second). The catalogue is created through the API meanwhile, and dashboards are requested in a loop.
When the faults clear, the retry machinery alone brings Everflow level: Pub/Sub redelivery (PushBus,
production's back-off on a compressed clock), the outbox relay and the reconcile job, fired on a
compressed schedule as Cloud Scheduler would. Checks are read from the final state.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from benchmarks.chaos.dependencies_bus import PushBus
from benchmarks.chaos.dependencies_catalogue import Shape, census, create, drifted
from benchmarks.chaos.dependencies_stack import EVERFLOW_TIMEOUTS, Stack, sql, stack
from benchmarks.chaos.outcome import Outcome
from shared.adapters.everflow.sandbox import FaultSettings

NAME = "everflow-faults"
SHAPE = Shape(advertisers=30, affiliates=40, campaigns_per_advertiser=3, links_per_campaign=2)
SLICE_S = 5.0
HANG_MS = int(float(EVERFLOW_TIMEOUTS["EVERFLOW_READ_TIMEOUT_S"]) * 1000) + 2000  # past the sync client's timeout
FAULTS = {  # kind -> (settings, the sandbox counter that counts it); lost answers first, while creates are sent
    "lost answer": (FaultSettings(hang_ms=HANG_MS, hang_after_processing=True), "hangs"),
    "429": (FaultSettings(throttle_after=0, retry_after_s=1), "throttled"),
    "timeout": (FaultSettings(hang_ms=HANG_MS), "hangs"),
    "500": (FaultSettings(error_rate=1.0, error_status=500), "errors"),
}
# The scheduler's cadence, compressed: the relay runs every minute in production, the reconcile daily.
RELAY_EVERY_S, RECONCILE_EVERY_S = 5.0, 20.0
CONVERGE_BOUND_S = 300.0
DASHBOARD_BOUND_S = 25.0  # reports: 10-s read timeout, one retry, one second between (get_reporting_client)
DASHBOARD_PERIODS = ("7d", "30d", "90d", "today")  # the first is cached before the faults, the others are not
DEGRADED = {200, 502, 503}  # fresh or stale figures, or a clear "Everflow unavailable" error


@dataclass
class Probe:
    """Dashboards requested one after another while the faults last."""

    answers: Counter[str] = field(default_factory=Counter)  # "503", "200 stale", ...
    seconds: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, stack: Stack) -> None:
        path = f"/api/v1/dashboard/advertiser/{stack.platform.organization_id}"
        while not self.stop.is_set():
            for period in DASHBOARD_PERIODS:
                started = time.perf_counter()
                try:
                    response = stack.api("GET", path, params={"period": period}, timeout=DASHBOARD_BOUND_S * 2)
                    self.answers[_answer(response)] += 1
                except requests.RequestException as exc:
                    self.answers[type(exc).__name__] += 1
                self.seconds.append(time.perf_counter() - started)


def _answer(response: requests.Response) -> str:
    cache = response.headers.get("X-Cache")
    return f"{response.status_code} {cache}" if cache else str(response.status_code)


def run(fault_seconds: float) -> Outcome:
    started = time.perf_counter()
    bus = PushBus(workers=8, min_backoff_s=1.0, max_backoff_s=60.0)
    with stack(bus) as s:
        _settle(s)  # a dashboard cached: the state before the outage
        probe = Probe()
        prober = threading.Thread(target=probe.run, args=(s,), daemon=True)
        failed_creates: list[int] = []
        creator = threading.Thread(target=lambda: failed_creates.append(create(s, SHAPE, "chaos")), daemon=True)
        prober.start()
        creator.start()
        injected = _cycle_faults(s, fault_seconds)
        probe.stop.set()
        creator.join()
        prober.join()
        cleared = time.perf_counter()
        converged, runs = _converge(s)
        converged_s = time.perf_counter() - cleared
        bus.wait_idle(60)  # late redeliveries land before the final state is read
        return _outcome(s, fault_seconds=fault_seconds, started=started, converged_s=converged_s if converged else None,
                        runs=runs, probe=probe, injected=injected, failed_creates=failed_creates)


def _settle(stack: Stack) -> None:
    stack.api("GET", f"/api/v1/dashboard/advertiser/{stack.platform.organization_id}",
              params={"period": DASHBOARD_PERIODS[0]})


def _cycle_faults(stack: Stack, fault_seconds: float) -> Counter[str]:
    """Switch the sandbox's fault every slice (shorter when the faults are, so each kind gets one); return the
    calls each kind faulted."""
    injected: Counter[str] = Counter()
    kinds = list(FAULTS)
    slice_s = min(SLICE_S, fault_seconds / len(kinds))
    deadline = time.monotonic() + fault_seconds
    index = 0
    while (left := deadline - time.monotonic()) > 0:
        settings, counter = FAULTS[kinds[index % len(kinds)]]
        stack.everflow.faults.set(settings)
        time.sleep(min(slice_s, left))
        injected[kinds[index % len(kinds)]] += int(stack.everflow.faults.counters()[counter])
        index += 1
    stack.everflow.faults.reset()
    return injected


def _converge(stack: Stack) -> tuple[bool, Counter[str]]:
    """Fire the relay and the reconcile on their compressed schedule until Everflow holds the catalogue;
    whether it did within the bound, and the runs of each job."""
    runs: Counter[str] = Counter()
    started = time.monotonic()
    every = {"outbox_relay": RELAY_EVERY_S, "everflow_reconcile": RECONCILE_EVERY_S}
    last = dict.fromkeys(every, started)  # the schedule is not aware of the outage: first runs come a period on
    while not census(stack).converged:
        if time.monotonic() - started >= CONVERGE_BOUND_S:
            return False, runs
        for job, at in last.items():
            if time.monotonic() - at >= every[job]:
                stack.run_job(job)
                last[job] = time.monotonic()
                runs[job] += 1
        time.sleep(1.0)
    return True, runs


def _outcome(stack: Stack, *, fault_seconds: float, started: float, converged_s: float | None, runs: Counter[str],
             probe: Probe, injected: Counter[str], failed_creates: list[int]) -> Outcome:
    calls, final = stack.everflow.calls(), census(stack)
    unpublished = int(sql("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"])
    slowest = max(probe.seconds, default=0.0)
    statuses = {answer.split()[0] for answer in probe.answers}
    checks = {
        "every fault kind was injected": all(injected[kind] > 0 for kind in FAULTS),
        "every create answered 2xx during the faults": failed_creates == [0],
        "dashboards degraded to 200 (cached/stale) or 502/503, never 500": bool(statuses) and statuses <= {
            str(status) for status in DEGRADED},
        f"every dashboard answered within {DASHBOARD_BOUND_S:.0f} s": slowest <= DASHBOARD_BOUND_S,
        f"every entity converged within {CONVERGE_BOUND_S:.0f} s": converged_s is not None and final.converged,
        "every entity has its Everflow id": not any(final.unsynced.values()),
        "Everflow holds exactly one object per entity (no duplicate, no orphan)": final.duplicates == final.orphans
        == 0 and final.objects == final.entities,
        "Everflow objects match the entities field by field": drifted(stack) == 0,
        "every tracking link has its URL": final.links_without_url == 0,
        "no unpublished outbox event": unpublished == 0,
    }
    return Outcome(NAME, time.perf_counter() - started, checks, {
        "entities": sum(final.entities.values()) + final.links,
        "entities by kind": ", ".join(f"{k} {v}" for k, v in {**final.entities, "tracking_link": final.links}.items()),
        "fault seconds": fault_seconds,
        "faulted calls by kind": ", ".join(f"{kind} {count}" for kind, count in injected.items()),
        "Everflow answers by status": ", ".join(f"{k}: {v}" for k, v in sorted(calls["by_status"].items())),
        "seconds to converge after the faults": "not within the bound" if converged_s is None else round(
            converged_s, 1),
        "deliveries / failed / dead-lettered": "{delivered} / {failed} / {dead_lettered}".format_map(
            Counter(stack.bus.counts)),
        "scheduled runs (relay, reconcile)": f"{runs['outbox_relay']}, {runs['everflow_reconcile']}",
        "dashboards during the faults": ", ".join(f"{k}: {v}" for k, v in sorted(probe.answers.items())),
        "slowest dashboard (s)": round(slowest, 2),
        "entities left unconverged": sum(final.unsynced.values()) + final.links_without_url,
    })
