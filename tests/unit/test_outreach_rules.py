"""Outreach rules without servers: the favourite status steps, domain spelling, what a retried delivery is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.favourite_lists import InvalidTransition, ItemStatus, check_transition, is_domain, normalize_domain
from shared.domain.publisher_messaging import (
    Conversation,
    ConversationNotActive,
    ConversationStatus,
    Message,
    MessageType,
    NewMessage,
    SenderType,
    check_can_send,
)

A, C, X = ItemStatus.ADDED, ItemStatus.CONTACTED, ItemStatus.ACCEPTED
NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize(("current", "target"), [(A, A), (A, C), (C, C), (C, X), (C, A), (X, X), (X, C)])
def test_the_original_steps_are_allowed(current, target) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [(A, X), (X, A)])
def test_skipping_a_step_is_refused_with_both_statuses(current, target) -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(current, target)
    assert refused.value.status == 409
    assert refused.value.details == {"current_status": current.value, "requested_status": target.value}


@pytest.mark.parametrize(("raw", "stored"), [(" News.Example. ", "news.example"), ("a-b.co.uk", "a-b.co.uk")])
def test_domains_are_kept_in_one_spelling(raw, stored) -> None:
    assert normalize_domain(raw) == stored
    assert is_domain(stored)


@pytest.mark.parametrize("bad", ["example", "-a.example", "a_b.example", "a b.example", "a/b.example", "é.example",
                                 "x" * 64 + ".example"])
def test_what_is_not_a_host_name_is_refused(bad) -> None:
    assert not is_domain(normalize_domain(bad))


@pytest.mark.parametrize("status", [ConversationStatus.CLOSED, ConversationStatus.ARCHIVED])
def test_the_organization_writes_only_into_active_conversations(status) -> None:
    conversation = Conversation(1, 1, "news.example", None, "s", status, None, NOW, NOW, NOW)
    with pytest.raises(ConversationNotActive):
        check_can_send(conversation)
    check_can_send(Conversation(1, 1, "news.example", None, "s", ConversationStatus.ACTIVE, None, NOW, NOW, NOW))


def test_a_redelivery_matches_only_the_same_sender_and_text() -> None:
    stored = Message(7, 1, 1, SenderType.PUBLISHER, "ed", "Hi", MessageType.TEXT, "m-1", None, NOW)
    assert NewMessage(SenderType.PUBLISHER, "ed", "Hi", external_message_id="m-1", metadata={"x": 1}).same_as(stored)
    assert not NewMessage(SenderType.PUBLISHER, "ed", "Hi!", external_message_id="m-1").same_as(stored)
    assert not NewMessage(SenderType.SYSTEM, "ed", "Hi", external_message_id="m-1").same_as(stored)
