"""Publisher messaging over HTTP: one active conversation per publisher, list ownership, the service's inbox."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.roles import Role
from tests.conftest import MESSAGING_SERVICE_TOKEN
from tests.e2e.partners import Side, new_side

BASE = "/api/v1/publisher-messaging/conversations"
LISTS = "/api/v1/favorite-publisher-lists"
SERVICE = {"Authorization": f"Bearer {MESSAGING_SERVICE_TOKEN}"}


@pytest.fixture
def mine(make_org, make_user) -> Side:
    return new_side(make_org, make_user, "advertiser")


@pytest.fixture
def theirs(make_org, make_user) -> Side:
    return new_side(make_org, make_user, "affiliate")


@pytest.fixture
def publishers(sql) -> tuple[str, str]:
    """Two publishers the intelligence data knows."""
    sql("INSERT INTO analytics_publishers (domain, relevance) VALUES ('news.example', 90), ('blog.example', 40)")
    return "news.example", "blog.example"


def start(api, tenant: Side, domain: str = "news.example", **extra):
    body = {"publisher_domain": domain, "subject": "Partnership", "initial_message": "Hello!", **extra}
    return api.post(BASE, json=body, headers=tenant.manager.headers)


def started(api, tenant: Side, domain: str = "news.example", **extra) -> dict:
    response = start(api, tenant, domain, **extra)
    assert response.status_code == 201, response.text
    return response.json()


def set_status(api, tenant: Side, conversation_id: int, status: str):
    return api.put(f"{BASE}/{conversation_id}/status", json={"status": status}, headers=tenant.manager.headers)


def deliver(api, target: int, headers: dict[str, str] | None = None, **body):
    """The messaging service posts into conversation `target` (the body may name a conversation_id too)."""
    payload = {"sender_type": "publisher", "content": "Interested!", **body}
    return api.post(f"{BASE}/{target}/external-messages", json=payload,
                    headers=SERVICE if headers is None else headers)


def test_a_conversation_starts_with_its_first_message_in_one_go(api, mine, publishers, sql) -> None:
    conversation = started(api, mine, " NEWS.example ")
    assert (conversation["publisher_domain"], conversation["subject"], conversation["status"]) == (
        "news.example", "Partnership", "active")
    assert (conversation["organization_id"], conversation["message_count"]) == (mine.org, 1)
    assert conversation["created_by_user_id"] == str(mine.manager.user_id)
    detail = api.get(f"{BASE}/{conversation['conversation_id']}", headers=mine.manager.headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert (body["total"], body["page"], body["page_size"]) == (1, 1, 100)
    message = body["messages"][0]
    assert (message["sender_type"], message["sender_id"], message["content"], message["message_type"]) == (
        "organization", str(mine.manager.user_id), "Hello!", "text")
    assert body["conversation"]["publisher"]["domain"] == "news.example"
    assert body["conversation"]["last_message_at"] == message["sent_at"]


def test_the_publisher_must_be_known_to_the_intelligence_data(api, mine, publishers, sql) -> None:
    response = start(api, mine, "unknown.example")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "publisher_domain"
    assert start(api, mine, "not a domain").status_code == 422
    assert sql("SELECT count(*) AS n FROM publisher_conversations") == [{"n": 0}]


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": ""}, "subject"),
    ({"subject": "s" * 501}, "subject"),
    ({"initial_message": ""}, "initial_message"),
    ({"initial_message": "   "}, "initial_message"),
    ({"initial_message": "m" * 5001}, "initial_message"),
    ({"list_id": 0}, "list_id"),
])
def test_invalid_conversations_are_refused_field_by_field(api, mine, publishers, body, field) -> None:
    response = start(api, mine, **body)
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


def test_the_list_must_be_the_callers_organizations(api, mine, theirs, publishers, sql) -> None:
    their_list = api.post(LISTS, json={"name": "Theirs"}, headers=theirs.manager.headers).json()["data"]["list_id"]
    refused = start(api, mine, list_id=their_list)
    assert refused.status_code == 404
    assert start(api, mine, list_id=999999).status_code == 404
    assert sql("SELECT count(*) AS n FROM publisher_conversations") == [{"n": 0}]
    my_list = api.post(LISTS, json={"name": "Mine"}, headers=mine.manager.headers).json()["data"]["list_id"]
    conversation = started(api, mine, list_id=my_list)
    assert conversation["list_id"] == my_list
    assert api.delete(f"{LISTS}/{my_list}", headers=mine.manager.headers).status_code == 200
    kept = api.get(f"{BASE}/{conversation['conversation_id']}", headers=mine.manager.headers).json()
    assert kept["conversation"]["list_id"] is None


def test_one_active_conversation_per_publisher_and_closed_or_archived_ones_never_block(api, mine, theirs,
                                                                                        publishers) -> None:
    first = started(api, mine)
    duplicate = start(api, mine)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "active_conversation_exists"
    assert duplicate.json()["error"]["details"] == {"conversation_id": first["conversation_id"]}
    assert start(api, mine, "blog.example").status_code == 201  # another publisher
    assert start(api, theirs).status_code == 201  # another organization

    assert set_status(api, mine, first["conversation_id"], "closed").json()["status"] == "closed"
    second = started(api, mine)
    assert set_status(api, mine, second["conversation_id"], "closed").status_code == 200
    third = started(api, mine)  # two closed ones with the same publisher do not clash
    assert set_status(api, mine, third["conversation_id"], "archived").status_code == 200
    fourth = started(api, mine)
    assert set_status(api, mine, first["conversation_id"], "archived").status_code == 200  # closed -> archived

    reopen = set_status(api, mine, second["conversation_id"], "active")
    assert reopen.status_code == 409
    assert reopen.json()["error"]["details"] == {"conversation_id": fourth["conversation_id"]}
    assert set_status(api, mine, fourth["conversation_id"], "closed").status_code == 200
    assert set_status(api, mine, second["conversation_id"], "active").json()["status"] == "active"
    assert set_status(api, mine, second["conversation_id"], "active").status_code == 200  # unchanged
    assert set_status(api, mine, second["conversation_id"], "deleted").status_code == 422


def test_concurrent_starts_with_one_publisher_leave_one_active_conversation(api, mine, publishers, sql) -> None:
    statuses: list[int] = []
    gate = threading.Barrier(4)

    def attempt() -> None:
        gate.wait()
        statuses.append(start(api, mine).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    assert sql("SELECT count(*) AS n FROM publisher_conversations") == [{"n": 1}]
    assert sql("SELECT count(*) AS n FROM publisher_messages") == [{"n": 1}]  # no orphan first message


def test_the_organization_writes_only_into_active_conversations(api, mine, publishers) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    path = f"{BASE}/{conversation_id}/messages"
    sent = api.post(path, json={"content": "Any news?", "message_type": "notification", "metadata": {"k": 1}},
                    headers=mine.manager.headers)
    assert sent.status_code == 201, sent.text
    assert (sent.json()["sender_type"], sent.json()["sender_id"], sent.json()["metadata"]) == (
        "organization", str(mine.manager.user_id), {"k": 1})
    for status in ("closed", "archived"):
        set_status(api, mine, conversation_id, status)
        refused = api.post(path, json={"content": "Still there?"}, headers=mine.manager.headers)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "conversation_not_active"
    set_status(api, mine, conversation_id, "active")
    assert api.post(path, json={"content": "Back"}, headers=mine.manager.headers).status_code == 201
    assert api.post(path, json={"content": "x", "message_type": "sms"}, headers=mine.manager.headers).status_code == 422
    assert api.post(path, json={"content": "x", "metadata": {"k": "v" * 9000}},
                    headers=mine.manager.headers).status_code == 422
    assert api.post(path, json={"content": "x", "sender_id": "me"}, headers=mine.manager.headers).status_code == 422
    detail = api.get(f"{BASE}/{conversation_id}", headers=mine.manager.headers).json()
    assert [m["content"] for m in detail["messages"]] == ["Hello!", "Any news?", "Back"]
    assert detail["conversation"]["message_count"] == 3


def test_lists_page_filter_and_put_the_latest_activity_first(api, mine, theirs, publishers, sql) -> None:
    quiet = started(api, mine, "news.example")
    busy = started(api, mine, "blog.example")
    started(api, theirs)
    sql("UPDATE publisher_conversations SET last_message_at = now() - interval '1 day'")
    api.post(f"{BASE}/{quiet['conversation_id']}/messages", json={"content": "Ping"}, headers=mine.manager.headers)
    listed = api.get(BASE, headers=mine.manager.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [c["conversation_id"] for c in body["conversations"]] == [quiet["conversation_id"], busy["conversation_id"]]
    assert (body["total"], body["page"], body["page_size"]) == (2, 1, 20)
    assert body["conversations"][0]["message_count"] == 2
    assert body["conversations"][0]["publisher"]["relevance"] == 90.0
    second = api.get(f"{BASE}?page=2&page_size=1", headers=mine.manager.headers).json()
    assert ([c["conversation_id"] for c in second["conversations"]], second["total"]) == ([busy["conversation_id"]], 2)
    assert api.get(f"{BASE}?page_size=1000", headers=mine.manager.headers).json()["page_size"] == 100
    assert api.get(f"{BASE}?page=0", headers=mine.manager.headers).status_code == 422
    set_status(api, mine, busy["conversation_id"], "closed")
    closed = api.get(f"{BASE}?status=closed", headers=mine.manager.headers).json()
    assert [c["conversation_id"] for c in closed["conversations"]] == [busy["conversation_id"]]
    assert api.get(f"{BASE}?status=other", headers=mine.manager.headers).status_code == 422


def test_messages_read_oldest_first_page_by_page(api, mine, publishers) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    for n in range(3):
        api.post(f"{BASE}/{conversation_id}/messages", json={"content": f"m{n}"}, headers=mine.manager.headers)
    page = api.get(f"{BASE}/{conversation_id}?page=2&page_size=2", headers=mine.manager.headers).json()
    assert ([m["content"] for m in page["messages"]], page["total"], page["page"]) == (["m1", "m2"], 4, 2)


def test_external_messages_need_the_service_token_not_a_user(api, mine, publishers, sql) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    for headers, reason in (({}, "missing_service_token"),
                            ({"Authorization": "Bearer wrong-token"}, "invalid_service_token"),
                            ({"Authorization": f"Basic {MESSAGING_SERVICE_TOKEN}"}, "missing_service_token"),
                            (mine.manager.headers, "invalid_service_token")):
        refused = deliver(api, conversation_id, headers, external_message_id="m-1")
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == reason
        assert "WWW-Authenticate" in refused.headers
    assert sql("SELECT count(*) AS n FROM publisher_messages") == [{"n": 1}]


def test_without_a_configured_token_the_route_refuses_everyone(api, mine, publishers, monkeypatch) -> None:
    from shared.config import get_settings

    conversation_id = started(api, mine)["conversation_id"]
    monkeypatch.setenv("MESSAGING_SERVICE_TOKEN", "")
    get_settings.cache_clear()
    response = deliver(api, conversation_id, {"Authorization": "Bearer "})
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"service_not_configured", "missing_service_token"}
    assert deliver(api, conversation_id, {"Authorization": "Bearer anything"}).json()["error"]["code"] == (
        "service_not_configured")


def test_external_messages_are_stored_once_per_external_id(api, mine, theirs, publishers, sql) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    first = deliver(api, conversation_id, external_message_id="m-1", sender_id="editor@news.example",
                    metadata={"channel": "email"})
    assert first.status_code == 201, first.text
    message = first.json()
    assert (message["sender_type"], message["sender_id"], message["external_message_id"]) == (
        "publisher", "editor@news.example", "m-1")
    again = deliver(api, conversation_id, external_message_id="m-1", sender_id="editor@news.example")
    assert (again.status_code, again.json()) == (200, message)
    changed = deliver(api, conversation_id, external_message_id="m-1", content="Something else",
                      sender_id="editor@news.example")
    assert changed.status_code == 409
    assert changed.json()["error"]["details"] == {"message_id": message["message_id"]}
    # The same external id in another tenant's conversation is another message (ids are per conversation).
    other = started(api, theirs)["conversation_id"]
    assert deliver(api, other, external_message_id="m-1").status_code == 201
    # Without an external id every delivery is a new message.
    assert deliver(api, conversation_id).status_code == 201
    assert deliver(api, conversation_id).status_code == 201
    counts = sql("SELECT conversation_id, count(*) AS n FROM publisher_messages GROUP BY conversation_id"
                 " ORDER BY conversation_id")
    assert [r["n"] for r in counts] == [4, 2]


def test_concurrent_deliveries_of_one_external_id_store_one_message(api, mine, publishers, sql) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    statuses: list[int] = []
    gate = threading.Barrier(4)

    def attempt() -> None:
        gate.wait()
        statuses.append(deliver(api, conversation_id, external_message_id="race").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert sql("SELECT count(*) AS n FROM publisher_messages WHERE external_message_id = 'race'") == [{"n": 1}]


def test_external_messages_reach_any_conversation_and_never_move_activity_back(api, mine, publishers) -> None:
    conversation = started(api, mine)
    conversation_id = conversation["conversation_id"]
    set_status(api, mine, conversation_id, "closed")
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    delivered = deliver(api, conversation_id, external_message_id="late", sent_at=old, sender_type="system",
                        message_type="notification", conversation_id=conversation_id)
    assert delivered.status_code == 201, delivered.text
    assert datetime.fromisoformat(delivered.json()["sent_at"]) == datetime.fromisoformat(old)
    detail = api.get(f"{BASE}/{conversation_id}", headers=mine.manager.headers).json()
    assert detail["conversation"]["last_message_at"] == conversation["last_message_at"]
    assert [m["external_message_id"] for m in detail["messages"]] == ["late", None]  # oldest first
    assert deliver(api, conversation_id, conversation_id=conversation_id + 1).status_code == 422
    assert deliver(api, 999999).status_code == 404
    assert deliver(api, conversation_id, sender_type="robot").status_code == 422
    assert deliver(api, conversation_id, sent_at="2026-01-01T00:00:00").status_code == 422  # no zone


def test_another_organizations_conversation_answers_404_on_every_route(api, mine, theirs, publishers, sql) -> None:
    conversation_id = started(api, theirs)["conversation_id"]
    h = mine.manager.headers
    one = f"{BASE}/{conversation_id}"
    for response in (api.get(one, headers=h), set_status(api, mine, conversation_id, "closed"),
                     api.post(f"{one}/messages", json={"content": "Hi"}, headers=h), api.delete(one, headers=h),
                     api.get(f"{BASE}?organization_id={theirs.org}", headers=h),
                     api.post(f"{BASE}?organization_id={theirs.org}", headers=h, json={
                         "publisher_domain": "blog.example", "subject": "s", "initial_message": "m"})):
        assert response.status_code == 404, response.text
    assert api.get(BASE, headers=h).json()["conversations"] == []
    assert sql("SELECT status FROM publisher_conversations") == [{"status": "active"}]
    assert sql("SELECT count(*) AS n FROM publisher_messages") == [{"n": 1}]


def test_deleting_a_conversation_deletes_its_messages(api, mine, publishers, sql) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    deliver(api, conversation_id, external_message_id="m-1")
    assert api.delete(f"{BASE}/{conversation_id}", headers=mine.manager.headers).status_code == 204
    assert api.get(f"{BASE}/{conversation_id}", headers=mine.manager.headers).status_code == 404
    assert api.delete(f"{BASE}/{conversation_id}", headers=mine.manager.headers).status_code == 404
    assert sql("SELECT count(*) AS n FROM publisher_messages") == [{"n": 0}]
    assert start(api, mine).status_code == 201


def test_administrators_start_conversations_for_a_named_organization(api, mine, publishers, make_user) -> None:
    admin = make_user(Role.PLATFORM_OWNER)
    body = {"publisher_domain": "news.example", "subject": "s", "initial_message": "m"}
    created = api.post(f"{BASE}?organization_id={mine.org}", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == mine.org
    assert api.get(BASE, headers=mine.manager.headers).json()["total"] == 1
    user = make_user(Role.USER, mine.org)
    assert api.get(BASE, headers=user.headers).json()["total"] == 1
    assert api.post(f"{BASE}/{created.json()['conversation_id']}/messages", json={"content": "x"},
                    headers=user.headers).status_code == 403


def test_every_write_is_audited_without_the_message_text(api, mine, publishers, sql) -> None:
    conversation_id = started(api, mine)["conversation_id"]
    api.post(f"{BASE}/{conversation_id}/messages", json={"content": "Secret terms"}, headers=mine.manager.headers)
    deliver(api, conversation_id, external_message_id="m-1", content="Their secret reply")
    deliver(api, conversation_id, external_message_id="m-1", content="Their secret reply")  # replay: no entry
    set_status(api, mine, conversation_id, "closed")
    api.delete(f"{BASE}/{conversation_id}", headers=mine.manager.headers)
    rows = sql("SELECT action, actor_id, organization_id, changes FROM audit_log WHERE entity_type LIKE 'publisher_%'"
               " ORDER BY audit_id")
    assert [r["action"] for r in rows] == [
        "publisher_conversation.create", "publisher_message.create", "publisher_message.create",
        "publisher_message.create", "publisher_conversation.set_status", "publisher_conversation.delete"]
    assert {r["organization_id"] for r in rows} == {mine.org}
    assert rows[3]["actor_id"] is None  # the messaging service, not a user
    assert rows[3]["changes"]["sender_type"] == "publisher"
    assert "secret" not in str([r["changes"] for r in rows]).lower()
