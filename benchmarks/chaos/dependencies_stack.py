"""The platform a dependency-fault scenario runs against, in this process as `make run` serves it.

An embedded PostgreSQL and Valkey (benchmarks.servers.platform: migrated, seeded), both sandboxes on
loopback, every HTTP function behind the local path router (functions-framework apps, as `make run`),
Pub/Sub replaced by a PushBus with the registry's subscribers, and the scheduled functions fired on
demand with the CloudEvent Cloud Scheduler posts. The seed's catalogue is synced before the scenario.
Every setting is lent to os.environ for the block.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from benchmarks import servers
from benchmarks.chaos.dependencies_bus import PushBus, installed
from functions.local.embedded import sandbox_settings, stripe_settings
from functions.local.events import entry_point, scheduler_tick
from functions.local.router import build_router
from functions.local.seed import demo_user_id
from functions.registry import by_entry_point
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
from shared.db.pool import reset_pool
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.services.everflow_reports import forget_timezones

# Everflow's read timeout is 30 s in production; 2 s here, so a hung call times out within the scenario.
EVERFLOW_TIMEOUTS = {"EVERFLOW_CONNECT_TIMEOUT_S": "1", "EVERFLOW_READ_TIMEOUT_S": "2"}
EVERFLOW_BUDGET = {"EVERFLOW_REQUESTS_PER_SECOND": "200"}  # the network budget is not what is under test
# One process stands for every function's instances, each with its own pool in production: a pool for all.
PROCESS = {"DB_POOL_SIZE": "32", "LOG_LEVEL": "ERROR"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the scenarios count their own answers."""


@dataclass(frozen=True)
class Stack:
    everflow: SandboxServer
    stripe: StripeSandbox
    platform: servers.Platform
    bus: PushBus
    api_url: str  # every HTTP function behind one router, e.g. http://127.0.0.1:51234
    env: dict[str, str]

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.platform.admin_token}"}

    def headers_of(self, email: str) -> dict[str, str]:
        """A bearer token of one of the seed's demo users (functions.local.seed.USERS)."""
        token = issue(demo_user_id(email), self.env["SUPABASE_JWT_SECRET"], email=email)
        return {"Authorization": f"Bearer {token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call a function through the router, as the Admin unless `headers` say otherwise."""
        return requests.request(method, self.api_url + path, headers=kwargs.pop("headers", self.admin_headers),
                                timeout=kwargs.pop("timeout", 60), **kwargs)

    def run_job(self, entry: str) -> None:
        """Fire a scheduled function once, with the CloudEvent Cloud Scheduler posts."""
        spec = by_entry_point(entry)
        entry_point(spec)(scheduler_tick(spec))


def sql(query: str, **params: Any) -> list[dict[str, Any]]:
    """Read or write the platform's database as the system (row-level security sees every tenant); committed."""
    with UnitOfWork(TenantScope.everything()) as uow:
        rows = [dict(row) for row in uow.session.fetch_all(query, **params)]
        uow.commit()
    return rows


def forget_clients() -> None:
    """Clients and pools are built once per process from the settings: drop them when the servers change."""
    for cached in (get_everflow_client, get_reporting_client, get_stripe_client, get_settings):
        cached.cache_clear()
    for reset in (reset_key_set, principals.clear, reset_pool, reset_redis, reset_report_cache, forget_timezones):
        reset()


@contextlib.contextmanager
def stack(bus: PushBus, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The whole platform for one scenario; everything started here stops on exit."""
    with contextlib.ExitStack() as exits:
        everflow = exits.enter_context(start_sandbox())
        stripe = exits.enter_context(start_stripe_sandbox())
        platform = exits.enter_context(servers.platform())
        env = {**platform.env, **sandbox_settings(everflow), **stripe_settings(stripe), **EVERFLOW_TIMEOUTS,
               **EVERFLOW_BUDGET, **PROCESS, **(extra_env or {})}
        exits.enter_context(mock.patch.dict(os.environ, env))  # mock: restores the environment however we leave
        forget_clients()
        exits.callback(forget_clients)
        exits.enter_context(installed(bus))
        bus.wire_functions()
        api_url = exits.enter_context(_serve_functions())
        ready = Stack(everflow, stripe, platform, bus, api_url, env)
        ready.run_job("everflow_reconcile")  # the seed's catalogue, written before any subscriber listened
        bus.wait_idle(60)
        yield ready


@contextlib.contextmanager
def _serve_functions() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, build_router(), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
