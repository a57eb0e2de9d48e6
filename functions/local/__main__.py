"""`make run`: the whole platform on http://127.0.0.1:$PORT with production paths.

Missing DATABASE_URL / REDIS_URL start embedded servers under .local/; a missing
SUPABASE_JWT_SECRET is replaced by a generated one. Ctrl-C or SIGTERM stops everything started here.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from functions.local.embedded import embedded_postgres, embedded_valkey, sandbox_settings, stripe_settings
from functions.local.events import start_scheduler, wire_subscribers
from functions.local.router import build_router
from functions.local.seed import DemoUser, seed_demo_data
from migrations import runner
from shared.adapters.everflow.sandbox import start_sandbox
from shared.adapters.stripe.sandbox import start_sandbox as start_stripe_sandbox
from shared.auth.tokens import issue
from shared.config import get_settings
from shared.db.pool import get_pool, owner_pool
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.events.publisher import local_bus

LOCAL_DIR = Path(__file__).resolve().parents[2] / ".local"
SANDBOX_FILE = LOCAL_DIR / "everflow-sandbox.json"


def main() -> int:
    port = int(os.environ.get("PORT", "8080"))
    with contextlib.ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = stack.enter_context(embedded_postgres(LOCAL_DIR / "pgdata"))
        if not os.environ.get("REDIS_URL"):
            os.environ["REDIS_URL"] = stack.enter_context(embedded_valkey(LOCAL_DIR / "valkey"))
        if not os.environ.get("EVERFLOW_API_KEY"):  # the seed's "mock service mode": our sandbox
            sandbox = start_sandbox()
            sandbox.load(SANDBOX_FILE)  # the database's Everflow ids stay valid across runs
            stack.callback(sandbox.stop)
            stack.callback(sandbox.save, SANDBOX_FILE)
            os.environ.update(sandbox_settings(sandbox))
        if not os.environ.get("STRIPE_SECRET_KEY"):  # our Stripe sandbox, delivering signed events to this server
            payments = start_stripe_sandbox()
            stack.callback(payments.stop)
            os.environ.update(stripe_settings(payments))
            payments.add_webhook_endpoint(f"http://127.0.0.1:{port}/api/v1/public/webhooks/stripe",
                                          payments.webhook_secret)
        generated_secret = not os.environ.get("SUPABASE_JWT_SECRET")
        if generated_secret:
            os.environ["SUPABASE_JWT_SECRET"] = secrets.token_urlsafe(32)
        os.environ.setdefault("SUPABASE_WEBHOOK_SECRET", secrets.token_urlsafe(24))
        os.environ.setdefault("MESSAGING_SERVICE_TOKEN", secrets.token_urlsafe(24))
        migrations = owner_pool()
        runner.up(migrations)
        migrations.close()
        wire_subscribers(local_bus())  # before the seed, whose events sync its catalogue to Everflow
        users = seed_demo_data(UnitOfWork(TenantScope.everything()))
        stop = threading.Event()
        start_scheduler(stop)
        server = make_server("127.0.0.1", port, build_router(), threaded=True)
        _stop_on_signals(server.shutdown)
        _print_welcome(port, users, generated_secret)
        server.serve_forever()
        stop.set()
        get_pool().close()
    return 0


def _stop_on_signals(shutdown: object) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=shutdown, daemon=True).start()  # type: ignore[arg-type]

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _print_welcome(port: int, users: list[DemoUser], generated_secret: bool) -> None:
    settings = get_settings()
    base = f"http://127.0.0.1:{port}"
    out = [f"\nAffiliate Backend Platform on {base}  (Ctrl-C stops it and everything it started)\n"]
    if generated_secret:
        out.append(f"SUPABASE_JWT_SECRET (generated for this run): {settings.supabase_jwt_secret}\n")
    out.append("\nBearer tokens of the demo users (valid 24 h):\n")
    for user in users:
        token = issue(user.user_id, settings.supabase_jwt_secret, email=user.email)
        out.append(f"  {user.role.role_name:<18} org {user.organization_id:<3} {user.email:<24}\n    {token}\n")
    admin = issue(users[0].user_id, settings.supabase_jwt_secret, email=users[0].email)
    out.append(
        "\nTry:\n"
        f"  export TOKEN={admin}\n"
        f"  curl -s {base}/health\n"
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" {base}/api/v1/organizations\n"
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/organizations/{users[0].organization_id}"
        "?with_extra=true'\n"
        f"  curl -s -X POST -H 'Content-Type: application/json' {base}/api/v1/public/organizations \\\n"
        "       -d '{\"name\": \"Acme Shoes\", \"type\": \"advertiser\", "
        "\"advertiser_extra_info\": {\"website\": \"https://acme.example\", \"website_type\": \"shopify\"}}'\n"
        f"  curl -s -X POST -H 'Authorization: Bearer {settings.supabase_webhook_secret}' \\\n"
        f"       -H 'Content-Type: application/json' {base}/api/v1/public/webhooks/supabase/new-user \\\n"
        "       -d '{\"type\": \"INSERT\", \"table\": \"users\", \"record\": "
        "{\"id\": \"0b5d8a8e-1f2c-4d3e-9a4b-5c6d7e8f9a0b\", \"email\": \"new@user.example\"}}'\n"
        "  # the messaging service delivers a publisher's reply to a conversation (MESSAGING_SERVICE_TOKEN):\n"
        f"  curl -s -X POST -H 'Authorization: Bearer {settings.messaging_service_token}' \\\n"
        "       -H 'Content-Type: application/json' \\\n"
        f"       {base}/api/v1/publisher-messaging/conversations/1/external-messages \\\n"
        "       -d '{\"sender_type\": \"publisher\", \"content\": \"Interested!\", \"external_message_id\": \"m-1\"}'\n"
        f"  open {base}/api/docs for the API reference\n"
    )
    sys.stdout.write("".join(out))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
