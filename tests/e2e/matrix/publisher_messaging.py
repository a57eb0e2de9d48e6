"""Matrix cases of publisher messaging: each conversation belongs to the target organization.

Routes without a conversation id name the target organization with `?organization_id=` (Admin and
PlatformOwner only). The external-messages route has no user (a service token) and is tested on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.e2e.matrix import Case, Context, Request, tenant

BASE = "/api/v1/publisher-messaging/conversations"
ONE = BASE + "/{conversation_id}"


def publisher(ctx: Context) -> str:
    """A publisher the intelligence data knows, new for each case."""
    domain = f"pub-{uuid.uuid4().hex[:10]}.example"
    ctx.fixture("sql")("INSERT INTO analytics_publishers (domain) VALUES (:domain)", domain=domain)
    return domain


def conversation(ctx: Context) -> int:
    """An active conversation of the target organization, with one message."""
    sql = ctx.fixture("sql")
    conversation_id = int(sql(
        "INSERT INTO publisher_conversations (organization_id, publisher_domain, subject)"
        " VALUES (:org, :domain, 'Matrix') RETURNING conversation_id",
        org=ctx.target_org, domain=publisher(ctx))[0]["conversation_id"])
    sql("INSERT INTO publisher_messages (conversation_id, organization_id, sender_type, content)"
        " VALUES (:id, :org, 'organization', 'Hello')", id=conversation_id, org=ctx.target_org)
    return conversation_id


def start(ctx: Context) -> Request:
    body = {"publisher_domain": publisher(ctx), "subject": "Matrix", "initial_message": "Hello"}
    return f"{BASE}?organization_id={ctx.target_org}", body


def existing(suffix: str = "", body: dict[str, object] | None = None) -> Callable[[Context], Request]:
    return lambda ctx: (f"{BASE}/{conversation(ctx)}{suffix}", body)


CASES: dict[tuple[str, str], Case] = {
    ("POST", BASE): (start, tenant(201)),
    ("GET", BASE): (lambda ctx: (f"{BASE}?organization_id={ctx.target_org}", None), tenant(200)),
    ("GET", ONE): (existing(), tenant(200)),
    ("PUT", ONE + "/status"): (existing("/status", {"status": "closed"}), tenant(200)),
    ("DELETE", ONE): (existing(), tenant(204)),
    ("POST", ONE + "/messages"): (existing("/messages", {"content": "Matrix"}), tenant(201)),
}
