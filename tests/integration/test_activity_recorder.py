"""The activity recorder: domain events from the local Pub/Sub become one activity each, whatever the
redeliveries, and dashboard-changing events invalidate the report cache of every tenant they concern."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cloudevents.http import CloudEvent

from functions.activity_recorder import activity_recorder
from shared.caching import ReportCache, get_report_cache, reset_report_cache
from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.principal import TenantScope
from shared.events.envelope import Envelope, encode_pubsub
from shared.events.publisher import LocalBus
from shared.events.relay import publish_pending

EVENT_ID = "0b7c6f1e-0000-4000-8000-000000000001"
CAMPAIGN = {"campaign_id": 41, "name": "Spring sale", "status": "draft", "internal_notes": "not for the feed"}


@pytest.fixture
def bus(monkeypatch, env) -> Iterator[LocalBus]:
    """A local Pub/Sub with only the recorder subscribed; every message is delivered twice."""
    from shared.events import publisher

    bus = LocalBus(backoff_s=0.001, copies=2)
    bus.subscribe("catalogue-events", "activity-recorder", activity_recorder)
    monkeypatch.setattr(publisher, "local_bus", lambda: bus)
    publisher.reset_publisher()
    yield bus
    assert bus.wait_idle(30)
    publisher.reset_publisher()


@pytest.fixture
def reports(env) -> Iterator[ReportCache]:
    """The process's report cache, on this test's settings (the recorder uses the same one)."""
    reset_report_cache()
    yield get_report_cache()
    reset_report_cache()


def emit(org: int | None, event_type: str, payload: dict[str, object], aggregate_id: str = "41") -> None:
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.outbox.add(DomainEvent(event_type, event_type.partition(".")[0], aggregate_id, org, version=1,
                                   payload=payload))
        uow.commit()


def activities(sql) -> list[dict[str, object]]:
    return sql("SELECT organization_id, activity_type, title, description, metadata, source, event_id,"
               " aggregate_type, aggregate_id FROM activities ORDER BY organization_id, activity_id")


def cloud_event(org: int, event_type: str, payload: dict[str, object], *, message_id: str = "m-1") -> CloudEvent:
    """The CloudEvent Eventarc delivers for one outbox event (always the same event id)."""
    envelope = Envelope(EVENT_ID, "catalogue-events", event_type, event_type.partition(".")[0], "41", 1, org, payload,
                        datetime.now(UTC))
    data = encode_pubsub(message_id, envelope.data(), envelope.attributes(), envelope.created_at)
    return CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//test",
                       "id": message_id}, data)


def cached(reports: ReportCache, org: int) -> object:
    return reports.get("overview", f"org:{org}", {"period": "7d"}, lambda: "after").value


def test_a_campaign_created_event_delivered_twice_records_one_activity(bus, make_org, sql) -> None:
    org = make_org("advertiser")
    emit(org, "campaign.created", CAMPAIGN)
    assert bus.wait_idle(30)
    [event] = sql("SELECT CAST(event_id AS TEXT) AS event_id FROM outbox")
    assert activities(sql) == [{
        "organization_id": org, "activity_type": "campaign_created", "title": "Campaign created: Spring sale",
        "description": "“Spring sale” was created (status: draft).", "source": "event",
        "metadata": {"event_type": "campaign.created", "campaign_id": 41, "name": "Spring sale", "status": "draft"},
        "event_id": event["event_id"], "aggregate_type": "campaign", "aggregate_id": "41"}]
    assert sql("SELECT outcome FROM processed_messages WHERE subscriber = 'activity-recorder'") == [
        {"outcome": "done"}]


def test_concurrent_deliveries_of_one_message_record_one_activity(env, make_org, sql) -> None:
    org = make_org("advertiser")
    event = cloud_event(org, "campaign.created", CAMPAIGN)
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def deliver() -> None:
        start.wait()
        try:
            activity_recorder(event)
        except BaseException as exc:  # a failed delivery would fail the test below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [a["activity_type"] for a in activities(sql)] == ["campaign_created"]


def test_an_event_published_again_under_a_new_message_id_records_once(env, make_org, sql) -> None:
    """As after a crash between the insert and the claim, or a relay that published twice."""
    org = make_org("advertiser")
    activity_recorder(cloud_event(org, "campaign.created", CAMPAIGN, message_id="first"))
    activity_recorder(cloud_event(org, "campaign.created", CAMPAIGN, message_id="second"))
    assert len(activities(sql)) == 1
    assert len(sql("SELECT message_id FROM processed_messages")) == 2


def test_a_partnership_event_is_recorded_for_both_organizations_by_name(bus, make_org, sql) -> None:
    advertiser, affiliate = make_org("advertiser", name="Acme Ads"), make_org("affiliate", name="Deal Finders")
    emit(advertiser, "association.created", {"association_id": 7, "advertiser_org_id": advertiser,
                                             "affiliate_org_id": affiliate, "association_type": "request",
                                             "status": "pending", "message": "private words"}, "7")
    assert bus.wait_idle(30)
    rows = activities(sql)
    assert [(r["organization_id"], r["activity_type"], r["title"]) for r in rows] == [
        (advertiser, "partnership_requested", "Partnership request: Deal Finders → Acme Ads"),
        (affiliate, "partnership_requested", "Partnership request: Deal Finders → Acme Ads")]
    assert rows[0]["event_id"] == rows[1]["event_id"]
    assert "message" not in rows[0]["metadata"]


def test_a_mapping_marked_failed_records_a_sync_failure(bus, make_org, sql) -> None:
    org = make_org("advertiser")
    emit(org, "provider_mapping.updated", {"mapping_id": 3, "entity_type": "campaign", "campaign_id": 41,
                                           "sync_status": "failed", "api_credentials": "<redacted>"}, "3")
    emit(org, "provider_mapping.updated", {"mapping_id": 3, "entity_type": "campaign", "campaign_id": 41,
                                           "sync_status": "synced"}, "3")
    assert bus.wait_idle(30)
    assert [(a["activity_type"], a["title"]) for a in activities(sql)] == [
        ("sync_failed", "Everflow sync failed: campaign 41")]


def test_events_without_an_organization_or_a_rule_are_acknowledged_and_record_nothing(bus, make_org, sql) -> None:
    org = make_org("advertiser")
    emit(None, "campaign.resync_requested", {})
    emit(org, "tracking_link.updated", {"name": "Link", "affiliate_org_id": org})
    emit(org, "something.unknown", {"x": 1})
    assert bus.wait_idle(30)
    assert activities(sql) == []
    outcomes = sql("SELECT outcome FROM processed_messages WHERE subscriber = 'activity-recorder'")
    assert outcomes == [{"outcome": "done"}] * 3
    assert bus.dead_letters == []


def test_a_dashboard_event_invalidates_both_partners_report_caches_and_others_do_not(bus, reports, make_org) -> None:
    advertiser, affiliate, bystander = make_org("advertiser"), make_org("affiliate"), make_org("advertiser")
    for org in (advertiser, affiliate, bystander):
        reports.get("overview", f"org:{org}", {"period": "7d"}, lambda: "before")
    emit(advertiser, "invitation.created", {"invitation_id": 1, "name": "Open link"}, "1")
    assert bus.wait_idle(30)
    assert cached(reports, advertiser) == "before"  # an invitation changes no numbers
    emit(advertiser, "association.approved", {"association_id": 7, "advertiser_org_id": advertiser,
                                              "affiliate_org_id": affiliate, "status": "active"}, "7")
    assert bus.wait_idle(30)
    assert (cached(reports, advertiser), cached(reports, affiliate), cached(reports, bystander)) == (
        "after", "after", "before")


def test_the_relay_after_a_failed_publish_still_records_once(bus, make_org, sql) -> None:
    """A publish that fails after commit is retried by the relay: still one activity."""
    org = make_org("advertiser")
    emit(org, "campaign.created", CAMPAIGN)
    assert bus.wait_idle(30)
    sql("UPDATE outbox SET published_at = NULL")  # as if the broker's acknowledgement had been lost
    assert publish_pending() == (1, 0)
    assert bus.wait_idle(30)
    assert len(activities(sql)) == 1


def test_a_campaign_everflow_refuses_shows_in_the_feed_as_a_sync_failure(env, event_bus, make_org, make_user,
                                                                          sql, api) -> None:
    """Through the real pipeline: campaign.created -> everflow-sync refuses it -> sync_failed -> activity."""
    from shared.domain.roles import Role

    org = make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, org)
    advertiser = api.post("/api/v1/advertisers", headers=manager.headers, json={
        "name": "Refused Ads", "organization_id": org, "status": "active", "contact_email": "a@refused.example"})
    assert advertiser.status_code == 201, advertiser.text
    campaign = api.post("/api/v1/campaigns", headers=manager.headers, json={
        "organization_id": org, "advertiser_id": advertiser.json()["advertiser_id"], "name": "No landing page"})
    assert campaign.status_code == 201, campaign.text
    assert event_bus.wait_idle(30)

    failures = [row for row in activities(sql) if row["activity_type"] == "sync_failed"]
    assert [(row["organization_id"], row["title"]) for row in failures] == [
        (org, f"Everflow sync failed: campaign {campaign.json()['campaign_id']}")]
