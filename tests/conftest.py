"""Fixtures: real PostgreSQL and Redis, a fresh migrated database per test, settings from the environment."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from functions.local.embedded import sandbox_settings, stripe_settings
from shared.adapters.everflow.client import get_everflow_client, get_reporting_client
from shared.adapters.everflow.sandbox import SandboxServer, start_sandbox
from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.sandbox import SandboxServer as StripeSandbox
from shared.adapters.stripe.sandbox import start_sandbox as start_stripe_sandbox
from shared.auth.authenticate import principals
from shared.auth.tokens import issue, reset_key_set
from shared.cache import reset_redis
from shared.caching import reset_report_cache
from shared.config import get_settings
from shared.db.pool import Pool, reset_pool
from shared.db.session import transaction
from shared.db.url import ConnectionParams
from shared.domain.roles import Role
from shared.events.publisher import LocalBus, local_bus
from shared.http.ratelimit import get_rate_limiter
from shared.services.everflow_reports import forget_timezones
from tests.servers import DatabaseFactory, postgres_server, redis_server

JWT_SECRET = "test-secret-with-at-least-thirty-two-bytes"
WEBHOOK_SECRET = "test-webhook-secret"
MESSAGING_SERVICE_TOKEN = "test-messaging-service-token"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def databases(postgres_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(postgres_url)
    yield factory
    factory.close()


@pytest.fixture
def database(databases: DatabaseFactory) -> Iterator[ConnectionParams]:
    """A migrated database of this test's own, dropped afterwards."""
    params = databases.create()
    yield params
    reset_pool()
    databases.drop(params)


@pytest.fixture(scope="session")
def everflow() -> Iterator[SandboxServer]:
    """Our Everflow sandbox over HTTP: the production client talks to it unchanged."""
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture
def sandbox(everflow: SandboxServer, env: None) -> Iterator[SandboxServer]:
    """The session's Everflow sandbox, emptied (its reports sum the traffic of the objects it holds)."""
    everflow.reset()
    yield everflow
    everflow.faults.reset()


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[StripeSandbox]:
    """Our Stripe sandbox over HTTP: the official `stripe` library talks to it unchanged."""
    server = start_stripe_sandbox()
    yield server
    server.stop()


@pytest.fixture
def stripe_sandbox(stripe_server: StripeSandbox, env: None) -> Iterator[StripeSandbox]:
    """The session's Stripe sandbox, emptied (by `env`): no objects, events, webhook endpoints or faults."""
    yield stripe_server
    stripe_server.wait_idle(10)  # deliveries finish before the test's database goes away
    stripe_server.reset()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database: ConnectionParams, databases: DatabaseFactory,
        redis_url: str, everflow: SandboxServer, stripe_server: StripeSandbox) -> Iterator[None]:
    """Point the platform's settings at this test's database, the test Redis and the Everflow and Stripe sandboxes."""
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", databases.url(database))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SUPABASE_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("SUPABASE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("MESSAGING_SERVICE_TOKEN", MESSAGING_SERVICE_TOKEN)
    for scope in ("USER", "ORGANIZATION", "IP"):  # every e2e request comes from 127.0.0.1
        monkeypatch.setenv(f"RATE_LIMIT_{scope}_PER_MINUTE", "1000000")
    for name, value in sandbox_settings(everflow).items():
        monkeypatch.setenv(name, value)
    for name, value in stripe_settings(stripe_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EVERFLOW_REQUESTS_PER_SECOND", "2000")  # the network budget is not under test here
    monkeypatch.setenv("REPORT_CACHE_PREFIX", f"rc:{database.database}")  # ids repeat across test databases
    stripe_server.reset()  # so do the idempotency keys of the Stripe customers every new organization gets
    _forget_clients()
    yield
    local_bus().wait_idle(60)  # background deliveries finish before the database goes away
    _forget_clients()


def _forget_clients() -> None:
    get_everflow_client.cache_clear()
    get_reporting_client.cache_clear()
    get_stripe_client.cache_clear()
    reset_key_set()
    principals.clear()
    get_rate_limiter.cache_clear()
    get_settings.cache_clear()
    reset_pool()
    reset_redis()
    reset_report_cache()
    forget_timezones()


@pytest.fixture
def pool(database: ConnectionParams) -> Iterator[Pool]:
    """A pool of the test's own, apart from the platform's, for arranging and inspecting data."""
    pool = Pool(database, size=4, statement_timeout_ms=10_000, connect_timeout_s=5)
    yield pool
    pool.close()


@pytest.fixture
def sql(pool: Pool) -> Callable[..., list[dict[str, object]]]:
    """Run one statement in its own committed transaction and return its rows."""
    def run(statement: str, **params: object) -> list[dict[str, object]]:
        with transaction(pool) as session:
            return session.fetch_all(statement, **params)

    return run


@dataclass(frozen=True)
class User:
    user_id: uuid.UUID
    role: Role
    organization_id: int | None

    @property
    def token(self) -> str:
        return issue(self.user_id, JWT_SECRET)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeUser = Callable[..., User]


@pytest.fixture
def make_user(env: None, pool: Pool) -> MakeUser:
    """Create a profile (committed) and return a user that can call the API."""
    def make(role: Role = Role.USER, organization_id: int | None = None) -> User:
        user_id = uuid.uuid4()
        with transaction(pool) as session:
            session.execute(
                "INSERT INTO profiles (id, email, role_id, organization_id)"
                " VALUES (CAST(:id AS UUID), :email, :role, :org)",
                id=str(user_id), email=f"{user_id}@test.local", role=int(role), org=organization_id,
            )
        return User(user_id, role, organization_id)

    return make


@pytest.fixture
def make_org(env: None, pool: Pool) -> Callable[..., int]:
    """Create an organization directly in the database and return its id."""
    def make(org_type: str = "advertiser", name: str | None = None) -> int:
        with transaction(pool) as session:
            return int(session.fetch_value(
                "INSERT INTO organizations (name, type) VALUES (:name, :type) RETURNING organization_id",
                name=name or f"Org {uuid.uuid4().hex[:6]}", type=org_type,
            ))

    return make


@pytest.fixture(scope="session", autouse=True)
def event_bus() -> LocalBus:
    """The in-process Pub/Sub, with the registry's subscribers, as `make run` wires it."""
    from functions.local.events import wire_subscribers

    bus = local_bus()
    if not bus.subscribers:
        wire_subscribers(bus)
    return bus


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The local platform router over real functions-framework apps, on a free loopback port."""
    from functions.local.router import build_router

    server = make_server("127.0.0.1", 0, build_router(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class Api:
    """A client of the live platform: paths are relative to its base URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return self.http.request(method, self.base_url + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: object) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: object) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: object) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(live_server: str, env: None) -> Iterator[Api]:
    """An HTTP client for the live platform, served from this test's database."""
    client = Api(live_server)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def storage_emulator() -> Iterator[str]:
    """The Cloud Storage emulator (in memory) on a free loopback port: its base URL."""
    from tests.storage_emulator import storage_emulator_server

    with storage_emulator_server() as url:
        yield url
