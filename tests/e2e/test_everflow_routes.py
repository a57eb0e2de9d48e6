"""The Everflow sync routes over HTTP against the sandbox: push now, compare, pull back, sync-all jobs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.mapping import relationships_for_update
from shared.adapters.everflow.mapping_merge import writable
from shared.adapters.everflow.sandbox import SandboxServer
from shared.config import get_settings
from shared.domain.provider_mappings import EntityKind
from shared.domain.roles import Role

ADVERTISERS, AFFILIATES, CAMPAIGNS = "/api/v1/advertisers", "/api/v1/affiliates", "/api/v1/campaigns"


@pytest.fixture
def sandbox(everflow: SandboxServer, env) -> SandboxServer:
    everflow.reset()
    yield everflow
    everflow.faults.reset()


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def manager(make_user, org):
    return make_user(Role.ADVERTISER_MANAGER, org)


def advertiser(sql, org: int, name: str = "Acme Shoes") -> int:
    return int(sql("INSERT INTO advertisers (organization_id, name, contact_email, status)"
                   " VALUES (:org, :name, 'partners@acme.example', 'active') RETURNING advertiser_id",
                   org=org, name=name)[0]["advertiser_id"])


def campaign(sql, org: int, advertiser_id: int) -> int:
    return int(sql("INSERT INTO campaigns (organization_id, advertiser_id, name, status, destination_url)"
                   " VALUES (:org, :adv, 'Spring', 'active', 'https://acme.example/spring') RETURNING campaign_id",
                   org=org, adv=advertiser_id)[0]["campaign_id"])


def remote_id(sql, kind: str, entity_id: int) -> int:
    column = "provider_offer_id" if kind == "campaign" else f"provider_{kind}_id"
    return int(sql(f"SELECT {column} AS id FROM {kind}_provider_mappings WHERE {kind}_id = :id",
                   id=entity_id)[0]["id"])


def staff_edit(kind: EntityKind, network_id: int, **changes: Any) -> None:
    """Network staff change the object in Everflow (read, modify, write, as Everflow's UI does)."""
    client = get_everflow_client()
    ops = {EntityKind.ADVERTISER: (client.get_advertiser, client.update_advertiser),
           EntityKind.AFFILIATE: (client.get_affiliate, client.update_affiliate),
           EntityKind.CAMPAIGN: (client.get_offer, client.update_offer)}[kind]
    current = ops[0](network_id, relationships_for_update(kind))
    ops[1](network_id, writable(kind, current) | changes)


def push(api, user, path: str) -> dict[str, Any]:
    response = api.post(f"{path}/sync-to-everflow", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_sync_to_everflow_creates_the_advertiser_and_answers_its_mapping_without_credentials(
        api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    body = push(api, manager, f"{ADVERTISERS}/{adv}")
    mapping = body["provider_mapping"]
    assert body["action"] == "created" and body["message"]
    assert (mapping["advertiser_id"], mapping["sync_status"], mapping["synced_version"]) == (adv, "synced", 1)
    assert "api_credentials" not in mapping and mapping["has_api_credentials"] is False
    record = sandbox.state.get("advertisers", int(mapping["provider_advertiser_id"]))
    assert (record["name"], record["account_status"]) == ("Acme Shoes", "active")
    audit = sql("SELECT action, actor_id FROM audit_log WHERE action = 'provider_mapping.sync'")
    assert [str(row["actor_id"]) for row in audit] == [str(manager.user_id)]


def test_sync_to_everflow_rewrites_what_staff_changed_even_when_the_mapping_looks_current(
        api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    push(api, manager, f"{ADVERTISERS}/{adv}")
    network_id = remote_id(sql, "advertiser", adv)
    staff_edit(EntityKind.ADVERTISER, network_id, name="Renamed by staff", sales_manager_id=77)
    body = push(api, manager, f"{ADVERTISERS}/{adv}")
    record = sandbox.state.get("advertisers", network_id)
    assert body["action"] == "updated"
    assert (record["name"], record["sales_manager_id"]) == ("Acme Shoes", 77)  # ours back, theirs kept
    assert len(sandbox.objects("advertisers")) == 1


def test_another_tenants_entities_are_not_found_and_nothing_reaches_everflow(
        api, sql, make_org, manager, sandbox) -> None:
    other = make_org("advertiser")
    adv = advertiser(sql, other)
    for method, path in (("POST", "sync-to-everflow"), ("POST", "sync-from-everflow"),
                         ("GET", "compare-with-everflow")):
        response = api.request(method, f"{ADVERTISERS}/{adv}/{path}", headers=manager.headers)
        assert response.status_code == 404, response.text
    assert sandbox.calls()["total"] == 0
    assert sql("SELECT count(*) AS n FROM advertiser_provider_mappings")[0]["n"] == 0


def test_a_storm_of_500s_answers_503_with_retry_after_and_records_the_failure(
        api, sql, org, manager, sandbox, monkeypatch) -> None:
    monkeypatch.setenv("EVERFLOW_MAX_RETRIES", "1")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    adv = advertiser(sql, org)
    sandbox.faults.set(error_rate=1.0)
    response = api.post(f"{ADVERTISERS}/{adv}/sync-to-everflow", headers=manager.headers)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "everflow_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    row = sql("SELECT sync_status, sync_error FROM advertiser_provider_mappings WHERE advertiser_id = :id", id=adv)[0]
    assert row["sync_status"] == "failed" and "500" in row["sync_error"]
    sandbox.faults.reset()
    assert push(api, manager, f"{ADVERTISERS}/{adv}")["provider_mapping"]["sync_status"] == "synced"


def test_a_refusal_answers_422_with_everflows_message(api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    sandbox.faults.set(error_rate=1.0, error_status=400)
    response = api.post(f"{ADVERTISERS}/{adv}/sync-to-everflow", headers=manager.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "everflow_refused" and "Everflow refused" in error["message"]


def test_compare_without_a_mapping_reports_one_critical_discrepancy(api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    response = api.get(f"{ADVERTISERS}/{adv}/compare-with-everflow", headers=manager.headers)
    assert response.status_code == 200, response.text
    [finding] = response.json()
    assert (finding["field"], finding["severity"], finding["local_value"]) == ("provider_mapping", "critical", adv)


def test_compare_finds_a_name_changed_in_everflow_and_nothing_else(api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    push(api, manager, f"{ADVERTISERS}/{adv}")
    assert api.get(f"{ADVERTISERS}/{adv}/compare-with-everflow", headers=manager.headers).json() == []
    staff_edit(EntityKind.ADVERTISER, remote_id(sql, "advertiser", adv), name="Acme Running", sales_manager_id=5)
    findings = api.get(f"{ADVERTISERS}/{adv}/compare-with-everflow", headers=manager.headers).json()
    assert findings == [{"field": "name", "local_value": "Acme Shoes", "provider_value": "Acme Running",
                         "severity": "medium", "message": None}]


def test_compare_reports_an_everflow_record_that_is_gone_as_critical(api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    push(api, manager, f"{ADVERTISERS}/{adv}")
    sql("UPDATE advertiser_provider_mappings SET provider_advertiser_id = '999999' WHERE advertiser_id = :id", id=adv)
    [finding] = api.get(f"{ADVERTISERS}/{adv}/compare-with-everflow", headers=manager.headers).json()
    assert (finding["field"], finding["severity"], finding["local_value"]) == ("provider_record", "critical", "999999")


def test_sync_from_everflow_pulls_a_changed_name_and_status_as_an_audited_update_with_an_event(
        api, sql, org, manager, sandbox, event_bus) -> None:
    adv = advertiser(sql, org)
    push(api, manager, f"{ADVERTISERS}/{adv}")
    network_id = remote_id(sql, "advertiser", adv)
    staff_edit(EntityKind.ADVERTISER, network_id, name="Acme Running", account_status="inactive",
               labels=["staff-label"])
    response = api.post(f"{ADVERTISERS}/{adv}/sync-from-everflow", headers=manager.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pulled"] == {"name": "Acme Running", "status": "inactive"}
    assert [s["field"] for s in body["skipped"]] == ["labels"]
    assert (body["advertiser"]["name"], body["advertiser"]["status"], body["advertiser"]["version"]) == (
        "Acme Running", "inactive", 2)
    audit = sql("SELECT actor_id, changes FROM audit_log WHERE action = 'advertiser.update'")
    assert str(audit[0]["actor_id"]) == str(manager.user_id) and set(audit[0]["changes"]) == {"name", "status"}
    assert sql("SELECT event_type FROM outbox WHERE aggregate_id = :id AND event_type = 'advertiser.updated'",
               id=str(adv))
    assert event_bus.wait_idle(30)
    record = sandbox.state.get("advertisers", network_id)  # the update's own sync wrote our labels back
    assert (record["name"], record["account_status"]) == ("Acme Running", "inactive")
    assert api.get(f"{ADVERTISERS}/{adv}/compare-with-everflow", headers=manager.headers).json() == []


def test_sync_from_everflow_refuses_values_our_rules_reject_and_needs_a_mapping(
        api, sql, org, manager, sandbox) -> None:
    adv = advertiser(sql, org)
    response = api.post(f"{ADVERTISERS}/{adv}/sync-from-everflow", headers=manager.headers)
    assert response.status_code == 409 and "sync it to Everflow first" in response.json()["error"]["message"]
    push(api, manager, f"{ADVERTISERS}/{adv}")
    staff_edit(EntityKind.ADVERTISER, remote_id(sql, "advertiser", adv), platform_url="ftp://files.acme.example")
    body = api.post(f"{ADVERTISERS}/{adv}/sync-from-everflow", headers=manager.headers).json()
    assert body["pulled"] == {} and body["skipped"][0]["field"] == "platform_url"
    assert sql("SELECT platform_url FROM advertisers WHERE advertiser_id = :id", id=adv)[0]["platform_url"] is None


def test_a_campaign_syncs_as_an_offer_pulls_its_url_and_is_never_archived_from_everflow(
        api, sql, org, manager, sandbox) -> None:
    camp = campaign(sql, org, advertiser(sql, org))
    body = push(api, manager, f"{CAMPAIGNS}/{camp}")
    network_id = int(body["provider_mapping"]["provider_offer_id"])
    assert body["provider_mapping"]["is_active_on_provider"] is True and len(sandbox.objects("advertisers")) == 1
    staff_edit(EntityKind.CAMPAIGN, network_id, destination_url="https://acme.example/summer", offer_status="deleted")
    findings = api.get(f"{CAMPAIGNS}/{camp}/compare-with-everflow", headers=manager.headers).json()
    assert [(f["field"], f["severity"]) for f in findings] == [("offer_status", "high"), ("destination_url", "low")]
    pulled = api.post(f"{CAMPAIGNS}/{camp}/sync-from-everflow", headers=manager.headers).json()
    assert pulled["pulled"] == {"destination_url": "https://acme.example/summer"}
    assert [s["field"] for s in pulled["skipped"]] == ["offer_status"]
    assert (pulled["campaign"]["status"], pulled["campaign"]["destination_url"]) == (
        "active", "https://acme.example/summer")


def test_an_affiliate_is_synced_compared_and_pulled(api, sql, make_org, make_user, sandbox) -> None:
    org = make_org("affiliate")
    manager = make_user(Role.AFFILIATE_MANAGER, org)
    aff = int(sql("INSERT INTO affiliates (organization_id, name, status) VALUES (:org, 'Pub', 'active')"
                  " RETURNING affiliate_id", org=org)[0]["affiliate_id"])
    network_id = int(push(api, manager, f"{AFFILIATES}/{aff}")["provider_mapping"]["provider_affiliate_id"])
    staff_edit(EntityKind.AFFILIATE, network_id, name="Pub Media")
    findings = api.get(f"{AFFILIATES}/{aff}/compare-with-everflow", headers=manager.headers).json()
    assert [(f["field"], f["provider_value"]) for f in findings] == [("name", "Pub Media")]
    body = api.post(f"{AFFILIATES}/{aff}/sync-from-everflow", headers=manager.headers).json()
    assert body["pulled"] == {"name": "Pub Media"} and body["affiliate"]["name"] == "Pub Media"


def wait_finished(api, admin, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = api.get(url, headers=admin.headers).json()
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish: {job}")


def test_sync_all_answers_202_with_a_job_whose_progress_reaches_every_advertiser(
        api, sql, org, make_user, sandbox) -> None:
    admin = make_user(Role.ADMIN, None)
    ids = [advertiser(sql, org, f"Brand {n}") for n in range(5)]
    sandbox.faults.set(delay_ms=100)  # slow enough to ask again while it runs
    first = api.post(f"{ADVERTISERS}/sync-all-to-everflow", headers=admin.headers)
    again = api.post(f"{ADVERTISERS}/sync-all-to-everflow", headers=admin.headers)
    assert first.status_code == 202 and again.status_code == 202, first.text
    started = first.json()
    assert first.headers["Location"] == started["status_url"] == f"/api/v1/sync-jobs/{started['sync_job_id']}"
    assert (started["sync_job"]["total"], started["sync_job"]["kind"]) == (5, "advertiser")
    assert again.json()["sync_job_id"] == started["sync_job_id"]
    job = wait_finished(api, admin, started["status_url"])
    assert {k: job[k] for k in ("status", "total", "processed", "succeeded", "failed", "last_processed_id")} == {
        "status": "completed", "total": 5, "processed": 5, "succeeded": 5, "failed": 0, "last_processed_id": ids[-1]}
    assert job["started_at"] and job["finished_at"]
    assert len(sandbox.objects("advertisers")) == 5
    assert api.get("/api/v1/sync-jobs/999999", headers=admin.headers).status_code == 404
