"""Domain events to activities: the rule that applies, its words, who sees it, whose dashboards go stale."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.activities import EventRecord
from shared.domain.activity_events import EVENT_RULES, plan, tenants_to_invalidate


def event(event_type: str, payload: dict[str, Any], org: int | None = 3) -> EventRecord:
    return EventRecord.from_body({"event_id": "e-1", "event_type": event_type, "aggregate_type": "x",
                                  "aggregate_id": "9", "organization_id": org, "payload": payload,
                                  "created_at": "2025-05-01T12:00:00+00:00"}, "m-1")


def titles(record: EventRecord, names: dict[int, str] | None = None) -> list[tuple[int, str, str]]:
    found = plan(record)
    return [(a.organization_id, a.activity_type.value, a.title) for a in found.activities(names or {})] if found else []


@pytest.mark.parametrize(("status", "expected"), [
    ("active", ("campaign_launched", "Campaign launched: Spring")),
    ("paused", ("campaign_updated", "Campaign paused: Spring")),
])
def test_a_status_change_to_active_is_a_launch_and_any_other_an_update(status, expected) -> None:
    record = event("campaign.status_changed", {"name": "Spring", "status": status, "previous_status": "draft"})
    assert titles(record) == [(3, *expected)]


def test_a_partnership_is_seen_by_both_sides_with_their_names() -> None:
    record = event("association.created", {"advertiser_org_id": 3, "affiliate_org_id": 4,
                                           "association_type": "invitation"})
    assert plan(record).named == {3, 4}  # type: ignore[union-attr]
    assert titles(record, {3: "Acme", 4: "Deals"}) == [
        (3, "partnership_invited", "Partnership invitation: Acme → Deals"),
        (4, "partnership_invited", "Partnership invitation: Acme → Deals")]


def test_an_unknown_name_or_field_reads_plainly_and_long_titles_are_clipped() -> None:
    record = event("association.approved", {"advertiser_org_id": 3, "affiliate_org_id": 4})
    assert titles(record)[0][2] == "Partnership approved: organization 3 and organization 4"
    assert titles(event("campaign.created", {}))[0][2] == "Campaign created: ?"
    long = titles(event("campaign.created", {"name": "n" * 400}))[0][2]
    assert len(long) == 255 and long.endswith("…")


def test_metadata_keeps_ids_and_states_but_never_notes_billing_or_credentials() -> None:
    payload = {"name": "Acme", "status": "active", "advertiser_id": 5, "internal_notes": "secret",
               "billing_details": {"iban": "x"}, "api_credentials": "<redacted>"}
    [activity] = plan(event("advertiser.created", payload)).activities({})  # type: ignore[union-attr]
    assert activity.metadata == {"event_type": "advertiser.created", "name": "Acme", "status": "active",
                                 "advertiser_id": 5}
    assert (activity.event_id, activity.occurred_at.isoformat()) == ("e-1", "2025-05-01T12:00:00+00:00")


def test_a_mapping_records_a_sync_failure_only_when_it_is_marked_failed() -> None:
    failed = {"entity_type": "tracking_link", "tracking_link_id": 8, "sync_status": "failed"}
    assert titles(event("provider_mapping.updated", failed)) == [
        (3, "sync_failed", "Everflow sync failed: tracking link 8")]
    assert titles(event("provider_mapping.updated", {**failed, "sync_status": "synced"})) == []
    assert titles(event("provider_mapping.sync_failed", {**failed, "sync_error": "422 bad"})) == [
        (3, "sync_failed", "Everflow sync failed: tracking link 8")]


def test_events_without_an_organization_or_a_rule_make_nothing() -> None:
    assert plan(event("campaign.created", {"name": "x"}, org=None)) is None
    assert plan(event("tracking_link.updated", {"name": "x"})) is None
    assert plan(event("profile.created", {})) is None


def test_dashboard_events_stale_every_organization_they_concern_and_others_none() -> None:
    assert tenants_to_invalidate(event("tracking_link.updated", {"affiliate_org_id": 7})) == {3, 7}
    assert tenants_to_invalidate(event("association.approved", {"advertiser_org_id": 3, "affiliate_org_id": 4})) == {
        3, 4}
    assert tenants_to_invalidate(event("provider_mapping.created", {})) == {3}
    assert tenants_to_invalidate(event("invitation.created", {})) == frozenset()
    assert tenants_to_invalidate(event("campaign.resync_requested", {}, org=None)) == frozenset()


def test_every_rule_names_an_aggregate_and_a_verb() -> None:
    assert all(len(name.split(".")) == 2 and rules for name, rules in EVENT_RULES.items())


@pytest.mark.parametrize(("event_type", "payload", "expected"), [
    ("payment.succeeded", {"amount": "50.00", "currency": "USD"}, ("payment", "Payment received: 50.00 USD")),
    ("payment.failed", {"amount": "50.00", "currency": "USD"}, ("payment", "Payment failed: 50.00 USD")),
    ("invoice.paid", {"invoice_number": "INV-7", "amount": "9.90", "currency": "EUR"},
     ("payment", "Invoice paid: INV-7")),
    ("charge.disputed", {"amount": "12.00", "currency": "USD", "reason": "fraudulent"},
     ("system_alert", "Payment disputed: 12.00 USD")),
])
def test_billing_events_appear_in_the_organizations_feed(event_type, payload, expected) -> None:
    assert titles(event(event_type, payload)) == [(3, *expected)]
