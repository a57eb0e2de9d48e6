"""Authentication plus authorization per request, in-process: what the router does before a handler runs.

`identify` (bearer token -> verified identity), `load_principal` (profile -> role and organization,
cached per instance for a few seconds) and `authorize` (the policy table), timed with
`perf_counter_ns` on real `flask.Request`s, for an HS256 token and for an ES256 token verified
against a JWKS served on loopback; with the principal cache warm, and cold (cleared before every
request, so each one reads PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import flask
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform, _environ
from benchmarks.stats import percentiles_ms
from shared.auth.authenticate import PRINCIPAL_TTL_S, identify, load_principal, principals
from shared.auth.policy import authorize
from shared.domain.roles import Role

if TYPE_CHECKING:
    from functions.local.seed import DemoUser

ACTION = "advertisers.read"
KID = "bench-es256"
WARM_UP = 500
TARGET_US = 1000.0
PHASES = ("verify", "profile", "policy")


@dataclass(frozen=True)
class Scenario:
    label: str
    token: str
    cold: bool
    iterations: int


@dataclass(frozen=True)
class Timing:
    """Per-request nanoseconds of each phase of one scenario."""

    scenario: Scenario
    phases: dict[str, list[int]]

    @property
    def totals(self) -> list[int]:
        return [sum(parts) for parts in zip(*self.phases.values(), strict=True)]


@dataclass(frozen=True)
class AuthResult:
    timings: list[Timing]
    path: str
    user_email: str


def run_auth(platform: Platform, *, warm_iterations: int, cold_iterations: int) -> AuthResult:
    """Time every scenario in this process, against the platform's database and a loopback JWKS."""
    signing_key = ec.generate_private_key(ec.SECP256R1())
    with jwks_server(signing_key.public_key()) as jwks_url, in_process({**platform.env,
                                                                       "SUPABASE_JWKS_URL": jwks_url}):
        user = _advertiser_manager()
        hs256 = _hs256_token(user, platform.env["SUPABASE_JWT_SECRET"])
        es256 = es256_token(user, signing_key)
        scenarios = [
            Scenario("HS256, principal cache warm", hs256, False, warm_iterations),
            Scenario("ES256 (JWKS), principal cache warm", es256, False, warm_iterations),
            Scenario("HS256, principal cache cold (PostgreSQL)", hs256, True, cold_iterations),
            Scenario("ES256 (JWKS), principal cache cold (PostgreSQL)", es256, True, cold_iterations),
        ]
        path = f"/api/v1/organizations/{user.organization_id}/advertisers"
        timings = [_measure(scenario, path) for scenario in scenarios]
    return AuthResult(timings, path, user.email)


@contextlib.contextmanager
def in_process(env: dict[str, str]) -> Iterator[None]:
    """Lend the platform's settings to this process (and `list_latency`); forget cached clients after."""
    with _environ(env):
        _forget_clients()
        try:
            yield
        finally:
            _forget_clients()


def _forget_clients() -> None:
    from shared.auth.tokens import reset_key_set
    from shared.config import get_settings
    from shared.db.pool import reset_pool

    reset_pool()
    reset_key_set()
    get_settings.cache_clear()
    principals.clear()


def _advertiser_manager() -> DemoUser:
    """The demo AdvertiserManager (the seed is idempotent: this returns the existing users)."""
    from functions.local.seed import seed_demo_data
    from shared.db.uow import UnitOfWork
    from shared.domain.principal import TenantScope

    users = seed_demo_data(UnitOfWork(TenantScope.everything()))
    return next(user for user in users if user.role is Role.ADVERTISER_MANAGER)


def _hs256_token(user: DemoUser, secret: str) -> str:
    from shared.auth.tokens import issue

    return issue(user.user_id, secret, email=user.email)


def es256_token(user: DemoUser, key: ec.EllipticCurvePrivateKey) -> str:
    """A Supabase-shaped access token signed with a JWKS-published ES256 key."""
    now = int(time.time())
    claims = {"sub": str(user.user_id), "aud": "authenticated", "role": "authenticated", "iat": now,
              "exp": now + 3600, "email": user.email}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": KID})


@contextlib.contextmanager
def jwks_server(public_key: ec.EllipticCurvePublicKey) -> Iterator[str]:
    """Serve a one-key JWKS on a loopback port (any path) from a thread; yield its URL."""
    jwk = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public_key)), "kid": KID, "alg": "ES256", "use": "sig"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/auth/v1/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def _measure(scenario: Scenario, path: str) -> Timing:
    print(f"  {scenario.label}: {scenario.iterations} requests", flush=True)
    environ = _environ_of(path, scenario.token)
    _check(flask.Request(dict(environ)))
    for _ in range(WARM_UP):
        _time_one(flask.Request(dict(environ)), cold=scenario.cold)
    phases: dict[str, list[int]] = {name: [] for name in PHASES}
    for _ in range(scenario.iterations):
        for name, spent in zip(PHASES, _time_one(flask.Request(dict(environ)), cold=scenario.cold), strict=True):
            phases[name].append(spent)
    return Timing(scenario, phases)


def _environ_of(path: str, token: str) -> dict[str, Any]:
    """The WSGI environ of a list request as a client sends it (the request object is built per iteration)."""
    builder = EnvironBuilder(method="GET", path=path, query_string="page=1&page_size=20",
                             headers=Headers({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                              "User-Agent": "bench/1.0"}),
                             environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _check(request: flask.Request) -> None:
    principal = load_principal(identify(request))
    if principal is None or principal.role is not Role.ADVERTISER_MANAGER:
        raise RuntimeError(f"the token does not resolve to an AdvertiserManager: {principal}")
    authorize(principal, ACTION)


def _time_one(request: flask.Request, *, cold: bool) -> tuple[int, int, int]:
    """Nanoseconds spent verifying the token, loading the principal and applying the policy."""
    if cold:
        principals.clear()
    began = time.perf_counter_ns()
    identity = identify(request)
    verified = time.perf_counter_ns()
    principal = load_principal(identity)
    loaded = time.perf_counter_ns()
    authorize(principal, ACTION)
    done = time.perf_counter_ns()
    return verified - began, loaded - verified, done - loaded


def percentiles_us(samples_ns: list[int]) -> tuple[float, float, float]:
    """Median, p95 and p99 in microseconds."""
    p50, p95, p99 = percentiles_ms([ns / 1e9 for ns in samples_ns])
    return p50 * 1000, p95 * 1000, p99 * 1000


def report_auth(result: AuthResult, platform: Platform) -> str:
    """Print the figures and record them in RESULTS.md; return the section."""
    lines = [
        "## Authentication and authorization overhead (in-process)",
        "",
        *run_facts(),
        f"- method: per request, `identify(request)` + `load_principal(identity)` + `authorize(principal,"
        f" \"{ACTION}\")` (shared/auth/authenticate.py, shared/auth/policy.py) on a fresh `flask.Request` of"
        f" `GET {result.path}?page=1&page_size=20` (werkzeug EnvironBuilder, built outside the timed part),"
        f" timed with `time.perf_counter_ns`, after {WARM_UP} untimed requests; caller {result.user_email}"
        " (AdvertiserManager)",
        "- tokens: HS256 from `shared.auth.tokens.issue` with SUPABASE_JWT_SECRET; ES256 signed with a P-256 key"
        " whose JWKS a loopback http.server thread serves (SUPABASE_JWKS_URL; the key set is cached after the"
        " first fetch, as in production)",
        f"- principal cache: warm = the per-instance cache answers (TTL {PRINCIPAL_TTL_S:g} s, so a long run"
        " re-reads the profile every few seconds, as an instance does); cold = `principals.clear()` before"
        f" every request, so each reads its profile from PostgreSQL ({platform.servers}) through the pool",
        "",
        table(["scenario", "requests", "median µs", "p95 µs", "p99 µs", "verify median µs",
               "profile median µs", "policy median µs"], [_row(t) for t in result.timings]),
        "",
        _verdict(result),
    ]
    section = "\n".join(lines)
    print(section)
    update_section("auth-overhead", section)
    return section


def _row(timing: Timing) -> list[str]:
    p50, p95, p99 = percentiles_us(timing.totals)
    phase_medians = [f"{percentiles_us(timing.phases[name])[0]:.1f}" for name in PHASES]
    return [timing.scenario.label, str(timing.scenario.iterations), f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}",
            *phase_medians]


def _verdict(result: AuthResult) -> str:
    warm = [t for t in result.timings if not t.scenario.cold]
    worst = max(percentiles_us(t.totals)[0] for t in warm)
    outcome = "met" if worst < TARGET_US else "**missed**"
    return (f"Target (issue 3): median < {TARGET_US:.0f} µs with caching; slowest warm median {worst:.1f} µs:"
            f" {outcome}.")
