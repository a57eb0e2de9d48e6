"""`make fuzz`: the full schemathesis run against `make run`, as each demo role; exits 1 on any failure.

Prints per role the operations, requests sent and failures by check, and records the run in
benchmarks/RESULTS.md (section "API fuzzing (make fuzz)").
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import schemathesis

from benchmarks.results import run_facts, table, update_section
from shared.db.pool import Pool
from shared.db.session import transaction
from shared.db.url import parse_database_url
from tests.fuzz.platform import running_platform
from tests.fuzz.runner import CHECK_NAMES, STOP, RoleTally, demo_identities, fuzz_role, load_schema, served_document
from tests.fuzz.tenancy import TenantMap

DEFAULT_EXAMPLES = 10  # per operation, role and mode (positive, negative): about 18,000 requests
MIN_REQUESTS = 5_000
METHODS = ("get", "put", "post", "delete", "patch")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES,
                        help="generated cases per operation, role and mode (default %(default)s)")
    parser.add_argument("--no-record", action="store_true", help="do not write benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    started = time.perf_counter()
    try:
        with running_platform() as platform:
            pool = Pool(parse_database_url(platform.database_url), size=2, statement_timeout_ms=10_000,
                        connect_timeout_s=5)
            try:
                tenants = TenantMap(_fetcher(pool))
                tallies, coverage = _fuzz(platform.base_url, platform.jwt_secret, tenants, args.examples)
            finally:
                pool.close()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; every process started here was stopped\n")
        return 130
    seconds = time.perf_counter() - started
    report = _report(tallies, coverage, seconds, args.examples, tenants.examined)
    sys.stdout.write(report + "\n")
    for tally in tallies:
        for example in tally.examples:
            sys.stdout.write(f"  {tally.role}: {example}\n")
    if not args.no_record:
        update_section("fuzz", report)
    failed = sum(sum(t.failures.values()) for t in tallies)
    return 1 if failed or sum(t.requests for t in tallies) < MIN_REQUESTS else 0


def _stop(signum: int, frame: FrameType | None) -> None:
    """The first signal stops the run after the operation being fuzzed; a second one at once."""
    if STOP.is_set():
        raise KeyboardInterrupt
    STOP.set()
    sys.stderr.write("stopping after this operation (again to stop now)\n")


def _fetcher(pool: Pool) -> Any:
    def fetch(statement: str, **params: object) -> list[dict[str, Any]]:
        with transaction(pool) as session:
            return session.fetch_all(statement, **params)

    return fetch


def _fuzz(base_url: str, jwt_secret: str, tenants: TenantMap, examples: int) -> tuple[list[RoleTally], str]:
    document = served_document(base_url)
    schema = load_schema(document)
    tallies = []
    for identity in demo_identities(jwt_secret):
        tally = fuzz_role(schema, base_url, identity, tenants, examples)
        sys.stdout.write(f"{tally.role}: {tally.operations} operations, {tally.requests} requests in"
                         f" {tally.seconds:.0f} s ({tally.refused_by_server} refused by the HTTP server with 414),"
                         f" failures {dict(tally.failures) or 'none'}\n")
        sys.stdout.flush()
        tallies.append(tally)
    return tallies, schema_coverage(document)


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        yield from (operation for method, operation in item.items() if method in METHODS)


def schema_coverage(document: dict[str, Any]) -> str:
    """What "schema conformance" checked: how many operations document a JSON body for their success answer."""
    operations = list(_operations(document))
    with_body = sum(
        any("schema" in (response.get("content") or {}).get("application/json", {})
            for status, response in operation["responses"].items() if status.startswith("2"))
        for operation in operations)
    return (f"{with_body} of {len(operations)} operations document a JSON schema for their success body (the rest"
            " answer 204, an HTML page, a static asset or a QR image, or document only an error); every error"
            " status of every operation documents the one error body (`Error`), so error answers are checked"
            " against it too")


def _report(tallies: list[RoleTally], coverage: str, seconds: float, examples: int, examined: int) -> str:
    rows = [[t.role, str(t.operations), f"{t.requests:,}", f"{t.real_ids:,} / {t.foreign_ids:,} / {t.real_2xx:,}",
             str(t.refused_by_server), f"{t.seconds:.0f}",
             ", ".join(f"{name} {count}" for name, count in sorted(t.failures.items())) or "none"]
            for t in tallies]
    total = sum(t.requests for t in tallies)
    failures = sum(sum(t.failures.values()) for t in tallies)
    real, foreign = sum(t.real_ids for t in tallies), sum(t.foreign_ids for t in tallies)
    real_2xx = sum(t.real_2xx for t in tallies)
    return "\n".join([
        "## API fuzzing (make fuzz)",
        "",
        f"schemathesis {schemathesis.__version__} against the OpenAPI document served by `make run`"
        " (functions.local in a subprocess, embedded PostgreSQL and Valkey in a temporary directory,"
        " rate limits raised so the limiter never answers 429), authenticated as each demo role;"
        f" {examples} generated cases per operation, role and mode (positive and negative inputs), seeded.",
        "",
        *run_facts(),
        f"- duration: {seconds:.0f} s; requests: {total:,} in all; failures: {failures}",
        f"- checks: {', '.join(CHECK_NAMES)} (leak check skipped for Admin and PlatformOwner, who see every"
        f" organization; it compared {examined:,} answers naming organizations with the caller's related set)",
        f"- real ids: {real:,} requests named objects that exist (every other positive case, ids read from the"
        f" database before each operation); {foreign:,} of them another tenant's objects, which a non-global"
        f" caller must not get a 2xx for (`foreign_access`); {real_2xx:,} answered 2xx",
        f"- schema coverage: {coverage}",
        "",
        table(["role", "operations", "requests", "real ids / another tenant's / 2xx", "414 (not checked)", "seconds",
               "failures by check"], rows),
        "",
        "414: the local HTTP server (werkzeug, as `make run` serves) refuses a request line over 64 KiB before the"
        " platform sees it; those answers are counted, not checked.",
    ])


if __name__ == "__main__":
    sys.exit(main())
