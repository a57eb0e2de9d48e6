"""The Everflow sync over HTTP against our sandbox: one Everflow object per entity whatever the
redeliveries, faults or concurrency, updates that keep what we do not manage, links with real URLs."""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urlsplit

import pytest

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.sandbox import SandboxServer
from shared.domain.roles import Role
from shared.events.publisher import LocalBus
from shared.services.everflow_reconcile import requeue_out_of_date

ADVERTISER = {"name": "Acme Shoes", "status": "active", "contact_email": "partners@acme.example"}


@pytest.fixture
def sandbox(everflow: SandboxServer, env) -> SandboxServer:
    everflow.reset()
    yield everflow
    everflow.faults.reset()


@pytest.fixture
def manager(make_user, make_org):
    return make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))


def create_advertiser(api, manager, **fields) -> int:
    body = {**ADVERTISER, "organization_id": manager.organization_id, **fields}
    response = api.post("/api/v1/advertisers", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["advertiser_id"])


def mapping(sql, advertiser_id: int) -> dict[str, object]:
    return sql("SELECT provider_advertiser_id, sync_status, synced_version, sync_error"
               " FROM advertiser_provider_mappings WHERE advertiser_id = :id", id=advertiser_id)[0]


def labelled(sandbox: SandboxServer, kind: str, label: str) -> list[dict[str, object]]:
    return [o for o in sandbox.objects(kind) if label in o.get("labels", [])]


def test_a_new_advertiser_becomes_one_everflow_advertiser(api, manager, sql, sandbox, event_bus) -> None:
    advertiser_id = create_advertiser(api, manager)
    assert event_bus.wait_idle(30)
    stored = mapping(sql, advertiser_id)
    assert (stored["sync_status"], stored["synced_version"]) == ("synced", 1)
    remote = labelled(sandbox, "advertisers", f"abp:advertiser:{advertiser_id}")
    assert len(remote) == 1
    assert str(remote[0]["network_advertiser_id"]) == stored["provider_advertiser_id"]
    assert (remote[0]["name"], remote[0]["account_status"]) == ("Acme Shoes", "active")


def test_an_update_rewrites_our_fields_and_keeps_the_networks(api, manager, sql, sandbox, event_bus) -> None:
    advertiser_id = create_advertiser(api, manager)
    assert event_bus.wait_idle(30)
    remote_id = int(mapping(sql, advertiser_id)["provider_advertiser_id"])
    staff_edit = sandbox.state.get("advertisers", remote_id) | {"sales_manager_id": 77}  # not a field of ours
    writable = {k: v for k, v in staff_edit.items() if not k.startswith(("network_a", "time_"))}
    get_everflow_client().update_advertiser(remote_id, writable)
    api.put(f"/api/v1/advertisers/{advertiser_id}", json={"name": "Acme Running", "status": "inactive"},
            headers=manager.headers)
    assert event_bus.wait_idle(30)
    record = sandbox.state.get("advertisers", remote_id)
    assert (record["name"], record["account_status"], record["sales_manager_id"]) == ("Acme Running", "inactive", 77)
    assert mapping(sql, advertiser_id)["synced_version"] == 2


def test_every_message_delivered_three_times_still_makes_one_object(api, manager, sql, sandbox,
                                                                    event_bus: LocalBus) -> None:
    event_bus.copies = 3
    try:
        ids = [create_advertiser(api, manager, name=f"Brand {n}") for n in range(3)]
        assert event_bus.wait_idle(30)
    finally:
        event_bus.copies = 1
    for advertiser_id in ids:
        assert len(labelled(sandbox, "advertisers", f"abp:advertiser:{advertiser_id}")) == 1
        assert mapping(sql, advertiser_id)["sync_status"] == "synced"


def test_concurrent_syncs_of_one_entity_make_one_object(api, manager, sandbox, event_bus) -> None:
    from shared.domain.provider_mappings import EntityKind
    from shared.services.everflow_sync import sync_entity

    sandbox.faults.set(delay_ms=50)
    advertiser_id = create_advertiser(api, manager)  # its own sync runs in the background meanwhile
    threads = [threading.Thread(target=sync_entity, args=(EntityKind.ADVERTISER, advertiser_id)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert event_bus.wait_idle(30)
    assert len(labelled(sandbox, "advertisers", f"abp:advertiser:{advertiser_id}")) == 1


@pytest.mark.parametrize("faults", [
    {"error_rate": 0.5},
    {"throttle_after": 0, "throttle_times": 4, "retry_after_s": 0},
    {"hang_ms": 3000, "hang_times": 2},
], ids=["500s", "429 storm", "timeouts"])
def test_after_faults_every_entity_is_synced_once(api, manager, sql, sandbox, event_bus, monkeypatch,
                                                 faults) -> None:
    from shared.adapters.everflow.client import get_everflow_client
    from shared.config import get_settings

    monkeypatch.setenv("EVERFLOW_READ_TIMEOUT_S", "1")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    sandbox.faults.set(**faults)
    ids = [create_advertiser(api, manager, name=f"Brand {uuid.uuid4().hex[:4]}") for _ in range(4)]
    assert event_bus.wait_idle(120)  # redeliveries, then dead letters for what still failed
    sandbox.faults.reset()
    requeue_out_of_date()  # the daily reconciliation
    assert event_bus.wait_idle(60)
    for advertiser_id in ids:
        assert mapping(sql, advertiser_id)["sync_status"] == "synced", mapping(sql, advertiser_id)
        assert len(labelled(sandbox, "advertisers", f"abp:advertiser:{advertiser_id}")) == 1


def test_a_campaign_becomes_an_offer_of_its_advertiser_and_archiving_never_activates(
        api, manager, sql, sandbox, event_bus) -> None:
    advertiser_id = create_advertiser(api, manager)
    campaign = api.post("/api/v1/campaigns", headers=manager.headers, json={
        "organization_id": manager.organization_id, "advertiser_id": advertiser_id, "name": "Spring",
        "status": "active", "destination_url": "https://acme.example/spring",
        "payout_type": "cpa", "payout_amount": "12.34", "revenue_type": "rpa", "revenue_amount": "20.00"})
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["campaign_id"]
    assert event_bus.wait_idle(30)
    offers = labelled(sandbox, "offers", f"abp:campaign:{campaign_id}")
    assert len(offers) == 1
    assert str(offers[0]["network_advertiser_id"]) == mapping(sql, advertiser_id)["provider_advertiser_id"]
    assert offers[0]["offer_status"] == "active"
    assert api.post(f"/api/v1/campaigns/{campaign_id}/pause", headers=manager.headers).ok
    assert api.post(f"/api/v1/campaigns/{campaign_id}/archive", headers=manager.headers).ok
    assert event_bus.wait_idle(30)
    offer = labelled(sandbox, "offers", f"abp:campaign:{campaign_id}")[0]
    assert offer["offer_status"] == "deleted"


def test_a_refused_entity_is_recorded_as_failed_and_acknowledged(api, manager, sql, sandbox, event_bus) -> None:
    sandbox.faults.set(error_rate=1.0, error_status=400)
    advertiser_id = create_advertiser(api, manager)
    assert event_bus.wait_idle(30)
    stored = mapping(sql, advertiser_id)
    assert stored["sync_status"] == "failed" and stored["sync_error"]
    outcomes = sql("SELECT outcome FROM processed_messages WHERE subscriber = 'everflow-sync'")
    assert {"outcome": "permanent_failure"} in outcomes


def test_a_tracking_link_gets_an_everflow_url_and_a_qr_code(api, sql, make_org, make_user, sandbox,
                                                           event_bus) -> None:
    from tests.tracking_link_rows import arrange_partners

    partners = arrange_partners(sql, make_org)
    sql("UPDATE campaigns SET destination_url = 'https://acme.example/landing' WHERE campaign_id = :id",
        id=partners.campaign_id)
    affiliate = make_user(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    created = api.post("/api/v1/tracking-links", json=partners.body(source_id="news", sub1="spring"),
                       headers=affiliate.headers).json()
    assert created["generated_url"] is None  # generated in the background, not in the request
    assert event_bus.wait_idle(30)
    link = api.get(f"/api/v1/tracking-links/{created['tracking_link']['tracking_link_id']}",
                   headers=affiliate.headers).json()
    url = link["tracking_url"]
    assert url.startswith("https://trk.sandbox-everflow.test/")
    assert "source_id=news" in url and "sub1=spring" in url
    qr = api.get(urlsplit(link["qr_code_url"]).path, headers=affiliate.headers)
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/png"
    assert len(sandbox.objects("offers")) == 1 and len(sandbox.objects("affiliates")) == 1


def test_concurrent_updates_converge_on_the_latest_version(api, manager, sql, sandbox, event_bus) -> None:
    advertiser_id = create_advertiser(api, manager)
    names = [f"Acme v{n}" for n in range(8)]
    threads = [threading.Thread(target=api.put, args=(f"/api/v1/advertisers/{advertiser_id}",),
                                kwargs={"json": {"name": name}, "headers": manager.headers}) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert event_bus.wait_idle(60)
    final = api.get(f"/api/v1/advertisers/{advertiser_id}", headers=manager.headers).json()
    remote = labelled(sandbox, "advertisers", f"abp:advertiser:{advertiser_id}")
    assert len(remote) == 1
    assert remote[0]["name"] == final["name"]
    assert mapping(sql, advertiser_id)["synced_version"] == final["version"]


def test_reconciliation_restores_an_object_changed_in_everflow(api, manager, sql, sandbox, event_bus) -> None:
    from shared.services.everflow_reconcile import requeue_drifted

    advertiser_id = create_advertiser(api, manager)
    untouched = create_advertiser(api, manager, name="Untouched")
    assert event_bus.wait_idle(30)
    remote_id = int(mapping(sql, advertiser_id)["provider_advertiser_id"])
    staff_edit = sandbox.state.get("advertisers", remote_id) | {"name": "Renamed in Everflow"}
    writable = {k: v for k, v in staff_edit.items() if not k.startswith(("network_a", "time_"))}
    get_everflow_client().update_advertiser(remote_id, writable)
    assert requeue_drifted() == 1  # only the changed one
    assert event_bus.wait_idle(30)
    assert sandbox.state.get("advertisers", remote_id)["name"] == "Acme Shoes"
    assert mapping(sql, advertiser_id)["sync_status"] == "synced"
    assert mapping(sql, untouched)["sync_status"] == "synced"
