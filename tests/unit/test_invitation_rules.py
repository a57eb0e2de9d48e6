"""The pure rules of invitation links: tokens, effective status, who may redeem, what an update may do."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.invitations import (
    Invitation,
    InvitationStatus,
    Refusal,
    check_update,
    hash_token,
    invitation_fields,
    invitation_link,
    is_well_formed,
    new_token,
    refusal,
)

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def invitation(**changes) -> Invitation:
    base = Invitation(1, 10, "Spring", None, None, None, 0, None, InvitationStatus.ACTIVE, uuid.uuid4(), None,
                      True, True, None, None, NOW, NOW)
    return replace(base, **changes)


def test_tokens_are_64_random_hex_characters_hashed_with_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert is_well_formed(first)
    assert hash_token(first) == hashlib.sha256(first.encode()).digest()
    assert not is_well_formed(first.upper())
    assert not is_well_formed(first[:-1])


def test_the_link_joins_the_base_url_and_the_token() -> None:
    assert invitation_link("https://app.example.com/", "abc") == "https://app.example.com/invitations/abc"


def test_an_active_invitation_past_its_expiry_is_expired() -> None:
    assert invitation(expires_at=NOW - timedelta(seconds=1)).effective_status(NOW) is InvitationStatus.EXPIRED
    assert invitation(expires_at=NOW + timedelta(days=1)).effective_status(NOW) is InvitationStatus.ACTIVE
    disabled = invitation(status=InvitationStatus.DISABLED, expires_at=NOW - timedelta(days=1))
    assert disabled.effective_status(NOW) is InvitationStatus.DISABLED


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, None),
    ({"status": InvitationStatus.DISABLED}, Refusal.NOT_ACTIVE),
    ({"status": InvitationStatus.EXPIRED}, Refusal.EXPIRED),
    ({"expires_at": NOW}, Refusal.EXPIRED),
    ({"max_uses": 2, "current_uses": 2}, Refusal.USED_UP),
    ({"max_uses": 2, "current_uses": 1}, None),
    ({"allowed_affiliate_org_ids": [21, 22]}, Refusal.NOT_ALLOWED),
    ({"allowed_affiliate_org_ids": [20]}, None),
    ({"allowed_affiliate_org_ids": []}, Refusal.NOT_ALLOWED),
])
def test_who_may_use_an_invitation(changes, expected) -> None:
    assert refusal(invitation(**changes), 20, NOW) is expected


def test_refusals_answer_with_the_originals_messages_and_proper_statuses() -> None:
    statuses = {reason: reason.error().status for reason in Refusal}
    assert statuses[Refusal.EXPIRED] == statuses[Refusal.NOT_ACTIVE] == 410
    assert statuses[Refusal.USED_UP] == statuses[Refusal.ALREADY_ASSOCIATED] == 409
    assert statuses[Refusal.NOT_ALLOWED] == statuses[Refusal.NOT_A_MEMBER] == 403
    assert Refusal.EXPIRED.error().message == "Invitation has expired"


@pytest.mark.parametrize("changes", [
    {"max_uses": 2},
    {"expires_at": NOW - timedelta(minutes=1)},
])
def test_an_update_cannot_undercut_past_uses_or_expire_in_the_past(changes) -> None:
    with pytest.raises(ValidationFailed):
        check_update(invitation(current_uses=3), changes, NOW)


def test_reactivating_needs_a_future_expiry() -> None:
    expired = invitation(status=InvitationStatus.DISABLED, expires_at=NOW - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        check_update(expired, {"status": InvitationStatus.ACTIVE}, NOW)
    check_update(expired, {"status": InvitationStatus.ACTIVE, "expires_at": NOW + timedelta(days=1)}, NOW)
    check_update(invitation(current_uses=3), {"max_uses": 3, "expires_at": None}, NOW)


def test_event_payloads_never_carry_the_token() -> None:
    assert not {"token", "token_hash", "invitation_token"} & set(invitation_fields(invitation()))
