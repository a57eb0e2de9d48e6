"""The Supabase new-user webhook: authenticated, idempotent, and a profile with role User and no organization."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from shared.auth.webhooks import sign_standard
from tests.conftest import WEBHOOK_SECRET

URL = "/api/v1/public/webhooks/supabase/new-user"
EVENT = json.loads((Path(__file__).parents[1] / "fixtures" / "supabase" / "new_user_insert.json").read_text())
USER_ID = EVENT["record"]["id"]
AUTH = {"Authorization": f"Bearer {WEBHOOK_SECRET}"}


def profiles(sql) -> list[dict[str, object]]:
    return sql("SELECT CAST(id AS TEXT) AS id, email, role_id, organization_id FROM profiles")


def test_a_new_user_gets_a_user_profile_without_organization(api, sql) -> None:
    response = api.post(URL, json=EVENT, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["profile"]["role_name"] == "User"
    assert profiles(sql) == [{"id": USER_ID, "email": "new.publisher@example.com", "role_id": 100000,
                              "organization_id": None}]


def test_a_repeated_delivery_answers_the_same_and_creates_nothing_more(api, sql) -> None:
    first = api.post(URL, json=EVENT, headers=AUTH)
    again = api.post(URL, json=EVENT, headers=AUTH)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(profiles(sql)) == 1
    assert sql("SELECT count(*) AS n FROM audit_log WHERE action = 'profile.create'") == [{"n": 1}]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-secret"},
                                     {"Authorization": WEBHOOK_SECRET}, {"Authorization": f"Basic {WEBHOOK_SECRET}"}])
def test_a_missing_or_wrong_secret_is_401_and_writes_nothing(api, sql, headers) -> None:
    response = api.post(URL, json=EVENT, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"missing_webhook_secret", "invalid_webhook_secret"}
    assert profiles(sql) == []


def test_other_events_are_acknowledged_and_ignored(api, sql) -> None:
    for event in ({**EVENT, "type": "UPDATE"}, {**EVENT, "table": "identities"}):
        response = api.post(URL, json=event, headers=AUTH)
        assert response.json() == {"message": "Event ignored", "profile": None}
    assert profiles(sql) == []


def test_a_malformed_record_is_422(api, sql) -> None:
    bad = {**EVENT, "record": {"id": "not-a-uuid", "email": "x@y.z"}}
    assert api.post(URL, json=bad, headers=AUTH).status_code == 422
    assert profiles(sql) == []


def test_a_known_id_with_another_email_is_a_conflict(api, sql) -> None:
    api.post(URL, json=EVENT, headers=AUTH)
    other = {**EVENT, "record": {**EVENT["record"], "email": "someone.else@example.com"}}
    assert api.post(URL, json=other, headers=AUTH).status_code == 409


SIGNING_SECRET = "whsec_" + base64.b64encode(b"standard-webhooks-test-key-32byte").decode()


@pytest.fixture
def signed(monkeypatch):
    from shared.config import get_settings

    monkeypatch.setenv("SUPABASE_WEBHOOK_SIGNING_SECRET", SIGNING_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def signature_headers(body: bytes, *, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {**AUTH, "Content-Type": "application/json", "webhook-id": "msg_2kQx", "webhook-timestamp": str(ts),
            "webhook-signature": sign_standard("msg_2kQx", ts, body, secret)}


def test_a_valid_standard_webhooks_signature_is_accepted(api, sql, signed) -> None:
    body = json.dumps(EVENT).encode()
    assert api.post(URL, data=body, headers=signature_headers(body)).status_code == 200
    assert len(profiles(sql)) == 1


@pytest.mark.parametrize("case", ["tampered", "stale", "wrong key", "missing"])
def test_a_bad_signature_is_refused_when_signing_is_configured(api, sql, signed, case) -> None:
    body = json.dumps(EVENT).encode()
    headers = {
        "tampered": lambda: signature_headers(body.replace(b"new.publisher", b"evil.publisher")),
        "stale": lambda: signature_headers(body, timestamp=int(time.time()) - 3600),
        "wrong key": lambda: signature_headers(body, secret="whsec_" + base64.b64encode(b"x" * 32).decode()),
        "missing": lambda: {**AUTH, "Content-Type": "application/json"},
    }[case]()
    assert api.post(URL, data=body, headers=headers).status_code == 401
    assert profiles(sql) == []
