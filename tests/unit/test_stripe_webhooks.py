"""Stripe webhook signatures: checked over the raw body with hmac, rotation, tolerance and bad input."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from shared.adapters.stripe.errors import InvalidPayload, InvalidSignature
from shared.adapters.stripe.webhooks import StripeEvent, verify_event

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
EVENT = {
    "id": "evt_1", "object": "event", "type": "invoice.paid", "created": 1_700_000_000,
    "api_version": "2026-10-28.endive", "livemode": False, "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None},
    "data": {"object": {"id": "in_1", "object": "invoice", "status": "paid", "amount_paid": 1234},
             "previous_attributes": {"status": "open"}},
}
PAYLOAD = json.dumps(EVENT, indent=2).encode()  # Stripe pretty-prints; the check must use these exact bytes


def signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()


def header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(payload, secret, t)}"


def test_a_correctly_signed_event_is_returned_as_plain_data() -> None:
    event = verify_event(PAYLOAD, header(PAYLOAD, SECRET), [SECRET], 300)

    assert event == StripeEvent(id="evt_1", type="invoice.paid", created=1_700_000_000,
                                api_version="2026-10-28.endive", livemode=False,
                                data_object=EVENT["data"]["object"],  # type: ignore[index]
                                previous_attributes={"status": "open"}, raw=EVENT)
    assert isinstance(event.data_object, dict)


def test_an_event_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature) as caught:
        verify_event(PAYLOAD, header(PAYLOAD, "whsec_someone_else"), [SECRET], 300)

    assert caught.value.status == 400
    assert caught.value.code == "invalid_signature"


def test_a_tampered_body_is_refused() -> None:
    tampered = PAYLOAD.replace(b"1234", b"9999")

    with pytest.raises(InvalidSignature):
        verify_event(tampered, header(PAYLOAD, SECRET), [SECRET], 300)


def test_re_serialised_json_is_refused_because_only_the_raw_bytes_are_signed() -> None:
    compact = json.dumps(EVENT).encode()

    with pytest.raises(InvalidSignature):
        verify_event(compact, header(PAYLOAD, SECRET), [SECRET], 300)


def test_a_signature_older_than_the_tolerance_is_refused() -> None:
    stale = int(time.time()) - 301

    with pytest.raises(InvalidSignature):
        verify_event(PAYLOAD, header(PAYLOAD, SECRET, stale), [SECRET], 300)


def test_a_signature_within_the_tolerance_is_accepted() -> None:
    recent = int(time.time()) - 250

    assert verify_event(PAYLOAD, header(PAYLOAD, SECRET, recent), [SECRET], 300).id == "evt_1"


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_signature_header_is_refused(missing: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify_event(PAYLOAD, missing, [SECRET], 300)


def test_a_garbled_signature_header_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify_event(PAYLOAD, "not-a-stripe-signature", [SECRET], 300)


def test_one_valid_signature_among_invalid_ones_is_enough() -> None:
    t = int(time.time())
    mixed = f"t={t},v1={'0' * 64},v1={signature(PAYLOAD, SECRET, t)},v0={'f' * 64}"

    assert verify_event(PAYLOAD, mixed, [SECRET], 300).id == "evt_1"


def test_events_signed_with_the_previous_secret_pass_during_a_rotation() -> None:
    assert verify_event(PAYLOAD, header(PAYLOAD, OLD_SECRET), [SECRET, OLD_SECRET], 300).id == "evt_1"
    assert verify_event(PAYLOAD, header(PAYLOAD, SECRET), [SECRET, OLD_SECRET], 300).id == "evt_1"


def test_without_any_configured_secret_every_event_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify_event(PAYLOAD, header(PAYLOAD, SECRET), ["", " "], 300)


def test_a_signed_body_that_is_not_json_is_an_invalid_payload() -> None:
    body = b"<html>not json</html>"

    with pytest.raises(InvalidPayload) as caught:
        verify_event(body, header(body, SECRET), [SECRET], 300)

    assert (caught.value.status, caught.value.code) == (400, "invalid_payload")


def test_signed_json_that_is_not_an_event_is_an_invalid_payload() -> None:
    body = json.dumps({"object": "customer", "id": "cus_1"}).encode()

    with pytest.raises(InvalidPayload):
        verify_event(body, header(body, SECRET), [SECRET], 300)


def test_a_body_that_is_not_utf8_is_an_invalid_payload() -> None:
    body = b"\xff\xfe{}"

    with pytest.raises(InvalidPayload):
        verify_event(body, header(body, SECRET), [SECRET], 300)


def test_production_refuses_to_start_without_the_stripe_secrets_a_function_requires() -> None:
    from shared.config import Environment, Settings, SettingsError

    settings = Settings(APP_ENV=Environment.PRODUCTION, required_secrets="STRIPE_SECRET_KEY,STRIPE_WEBHOOK_SECRET",
                        stripe_secret_key="sk_live_x", stripe_webhook_secret="")

    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET"):
        settings.require_production_secrets()


def test_rotating_webhook_secrets_are_read_from_one_comma_separated_setting() -> None:
    from shared.config import Settings

    assert Settings(stripe_webhook_secret="whsec_new, whsec_old,").stripe_webhook_secrets == ("whsec_new", "whsec_old")
