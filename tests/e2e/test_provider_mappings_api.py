"""The provider-mapping routes over HTTP: write-only encrypted credentials, JSON objects, tenancy, events, audit."""

from __future__ import annotations

import json

import pytest

from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.domain.roles import Role

ADV_MAPPINGS = "/api/v1/advertiser-provider-mappings"
AFF_MAPPINGS = "/api/v1/affiliate-provider-mappings"
SECRET = "ef-live-key-do-not-leak"


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def manager(make_user, org):
    return make_user(Role.ADVERTISER_MANAGER, org)


def advertiser(sql, org: int) -> int:
    return int(sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Acme') RETURNING advertiser_id",
                   org=org)[0]["advertiser_id"])


def affiliate(sql, org: int) -> int:
    return int(sql("INSERT INTO affiliates (organization_id, name) VALUES (:org, 'Pub') RETURNING affiliate_id",
                   org=org)[0]["affiliate_id"])


def body(adv: int, **fields) -> dict:
    return {"provider_mapping": {"advertiser_id": adv, "provider_type": "everflow", "provider_advertiser_id": "101",
                                 "provider_config": {"last_operation": "create"}, "provider_data": {"tier": 1},
                                 "api_credentials": {"api_key": SECRET}, **fields}}


def create(api, user, adv: int) -> int:
    response = api.post(ADV_MAPPINGS, json=body(adv), headers=user.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["provider_mapping"]["mapping_id"])


def counts(sql) -> tuple[int, int, int]:
    row = sql("SELECT (SELECT count(*) FROM advertiser_provider_mappings) AS m,"
              " (SELECT count(*) FROM outbox) AS e, (SELECT count(*) FROM audit_log) AS a")[0]
    return int(row["m"]), int(row["e"]), int(row["a"])


def nothing_leaks(sql, *texts: str) -> None:
    """No response, audit entry or event mentions the secret or carries a credentials value."""
    rows = sql("SELECT changes::text AS t FROM audit_log UNION ALL SELECT payload::text FROM outbox")
    for text in [*texts, *(r["t"] for r in rows)]:
        assert SECRET not in text
        assert '"api_key"' not in text


def test_creating_a_mapping_encrypts_the_credentials_and_never_returns_them(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    created = api.post(ADV_MAPPINGS, json=body(adv), headers=manager.headers)
    assert created.status_code == 201, created.text
    mapping = created.json()["provider_mapping"]
    assert {k: mapping[k] for k in ("advertiser_id", "organization_id", "provider_type", "provider_advertiser_id",
                                    "provider_config", "provider_data", "has_api_credentials", "sync_status")} == {
        "advertiser_id": adv, "organization_id": org, "provider_type": "everflow", "provider_advertiser_id": "101",
        "provider_config": {"last_operation": "create"}, "provider_data": {"tier": 1}, "has_api_credentials": True,
        "sync_status": "pending"}
    assert "api_credentials" not in mapping
    fetched = api.get(f"/api/v1/advertisers/{adv}/provider-mappings/everflow", headers=manager.headers)
    assert fetched.json() == created.json()
    row = sql("SELECT api_credentials, credentials_key_id FROM advertiser_provider_mappings")[0]
    assert SECRET.encode() not in bytes(row["api_credentials"])
    with UnitOfWork(TenantScope.everything()) as uow:
        clear = uow.provider_mappings.decrypted_credentials(EntityKind.ADVERTISER, adv, TenantScope.everything())
    assert clear == {"api_key": SECRET}
    nothing_leaks(sql, created.text, fetched.text)


def test_a_create_writes_one_event_and_one_audit_entry_with_the_credentials_redacted(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    mapping_id = create(api, manager, adv)
    events = sql("SELECT event_type, aggregate_type, aggregate_id, organization_id, payload FROM outbox")
    assert [(e["event_type"], e["aggregate_type"], e["aggregate_id"], e["organization_id"]) for e in events] == [
        ("provider_mapping.created", "advertiser_provider_mapping", str(mapping_id), org)]
    assert events[0]["payload"]["api_credentials"] == "<redacted>"
    assert events[0]["payload"]["advertiser_id"] == adv
    audit = sql("SELECT action, entity_type, organization_id, changes FROM audit_log")
    assert [(a["action"], a["entity_type"], a["organization_id"]) for a in audit] == [
        ("provider_mapping.create", "advertiser_provider_mapping", org)]
    assert audit[0]["changes"]["api_credentials"] == {"before": None, "after": "<redacted>"}


def test_the_original_json_encoded_strings_are_accepted_and_stored_as_objects(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    legacy = body(adv, provider_config=json.dumps({"request": {"name": "Acme"}}), provider_data="{}")
    created = api.post(ADV_MAPPINGS, json=legacy, headers=manager.headers)
    assert created.status_code == 201, created.text
    assert created.json()["provider_mapping"]["provider_config"] == {"request": {"name": "Acme"}}
    assert sql("SELECT jsonb_typeof(provider_config) AS t FROM advertiser_provider_mappings") == [{"t": "object"}]


NOT_OBJECTS = [
    ("list", [1, 2]), ("number", 3), ("boolean", True), ("string of a list", "[1, 2]"),
    ("string of a string", '"x"'), ("invalid json text", "{not json"), ("empty string", ""),
]


@pytest.mark.parametrize(("case", "value"), NOT_OBJECTS, ids=[c[0] for c in NOT_OBJECTS])
@pytest.mark.parametrize("field", ["provider_config", "provider_data"])
def test_a_config_or_data_that_is_not_an_object_is_refused_and_nothing_is_written(api, sql, org, manager, field,
                                                                                  case, value) -> None:
    adv = advertiser(sql, org)
    response = api.post(ADV_MAPPINGS, json=body(adv, **{field: value}), headers=manager.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == f"provider_mapping.{field}"
    assert counts(sql) == (0, 0, 0)


BAD_FIELDS = [
    ("unknown provider", {"provider_type": "hasoffers"}, "provider_mapping.provider_type"),
    ("credentials as a string", {"api_credentials": SECRET}, "provider_mapping.api_credentials"),
    ("empty credentials", {"api_credentials": {}}, "provider_mapping.api_credentials"),
    ("numeric provider id", {"provider_advertiser_id": 101}, "provider_mapping.provider_advertiser_id"),
    ("markup in provider id", {"provider_advertiser_id": "<b>1</b>"}, "provider_mapping.provider_advertiser_id"),
    ("unknown sync status", {"sync_status": "error"}, "provider_mapping.sync_status"),
    ("unknown field", {"is_admin": True}, "provider_mapping.is_admin"),
    ("no advertiser", {"advertiser_id": None}, "provider_mapping.advertiser_id"),
]


@pytest.mark.parametrize(("case", "fields", "field"), BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS])
def test_bad_fields_get_a_422_that_names_them_and_nothing_is_written(api, sql, org, manager, case, fields,
                                                                    field) -> None:
    adv = advertiser(sql, org)
    response = api.post(ADV_MAPPINGS, json=body(adv, **fields), headers=manager.headers)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert SECRET not in response.text
    assert counts(sql) == (0, 0, 0)


def test_an_unknown_provider_in_the_path_is_a_422(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    response = api.get(f"/api/v1/advertisers/{adv}/provider-mappings/hasoffers", headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {"field": "provider_type", "location": "path",
                                                      "message": "must be one of: everflow", "type": "enum"}


def test_a_second_mapping_for_the_same_advertiser_is_a_409_and_writes_nothing(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    assert api.post(ADV_MAPPINGS, json=body(adv), headers=manager.headers).status_code == 201
    before = counts(sql)
    response = api.post(ADV_MAPPINGS, json=body(adv, provider_advertiser_id="202"), headers=manager.headers)
    assert response.status_code == 409
    assert counts(sql) == before


def test_another_tenants_advertiser_and_mapping_answer_404_and_stay_unchanged(api, sql, org, manager,
                                                                           make_org, make_user) -> None:
    adv = advertiser(sql, org)
    mapping_id = create(api, manager, adv)
    outsider = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    before = counts(sql)
    assert api.get(f"/api/v1/advertisers/{adv}/provider-mappings/everflow", headers=outsider.headers).status_code == 404
    assert api.post(ADV_MAPPINGS, json=body(adv), headers=outsider.headers).status_code == 404
    update = {"provider_mapping": {"provider_data": {"hijacked": True}}}
    assert api.put(f"{ADV_MAPPINGS}/{mapping_id}", json=update, headers=outsider.headers).status_code == 404
    assert api.delete(f"{ADV_MAPPINGS}/{mapping_id}", headers=outsider.headers).status_code == 404
    assert api.delete(f"{AFF_MAPPINGS}/{mapping_id}", headers=manager.headers).status_code == 404  # other kind
    assert counts(sql) == before
    assert sql("SELECT provider_data FROM advertiser_provider_mappings") == [{"provider_data": {"tier": 1}}]


def test_a_missing_advertiser_or_mapping_is_a_404(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    assert api.get(f"/api/v1/advertisers/{adv}/provider-mappings/everflow", headers=manager.headers).status_code == 404
    assert api.post(ADV_MAPPINGS, json=body(adv + 1000), headers=manager.headers).status_code == 404
    assert api.put(f"{ADV_MAPPINGS}/999", json={"provider_mapping": {}}, headers=manager.headers).status_code == 404


def test_a_partial_update_keeps_omitted_fields_and_audits_a_replaced_secret_redacted(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    mapping_id = create(api, manager, adv)
    update = {"provider_mapping": {"provider_data": {"tier": 2}, "api_credentials": {"api_key": SECRET + "-2"}}}
    response = api.put(f"{ADV_MAPPINGS}/{mapping_id}", json=update, headers=manager.headers)
    assert response.status_code == 200, response.text
    mapping = response.json()["provider_mapping"]
    assert (mapping["provider_data"], mapping["provider_config"], mapping["provider_advertiser_id"]) == (
        {"tier": 2}, {"last_operation": "create"}, "101")
    audit = sql("SELECT changes FROM audit_log WHERE action = 'provider_mapping.update'")[0]["changes"]
    assert audit == {"provider_data": {"before": {"tier": 1}, "after": {"tier": 2}},
                     "api_credentials": {"before": "<redacted>", "after": "<redacted>"}}
    assert [e["event_type"] for e in sql("SELECT event_type FROM outbox ORDER BY created_at")] == [
        "provider_mapping.created", "provider_mapping.updated"]
    nothing_leaks(sql, response.text)
    removed = api.put(f"{ADV_MAPPINGS}/{mapping_id}", json={"provider_mapping": {"api_credentials": None}},
                      headers=manager.headers)
    assert removed.json()["provider_mapping"]["has_api_credentials"] is False
    assert sql("SELECT api_credentials FROM advertiser_provider_mappings") == [{"api_credentials": None}]


def test_an_update_may_repeat_but_not_change_the_advertiser_or_provider(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    mapping_id = create(api, manager, adv)
    same = {"provider_mapping": {"advertiser_id": adv, "provider_type": "everflow", "provider_config": "{}"}}
    assert api.put(f"{ADV_MAPPINGS}/{mapping_id}", json=same, headers=manager.headers).status_code == 200
    moved = {"provider_mapping": {"advertiser_id": advertiser(sql, org)}}
    response = api.put(f"{ADV_MAPPINGS}/{mapping_id}", json=moved, headers=manager.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "provider_mapping.advertiser_id"


def test_deleting_a_mapping_removes_it_with_an_event_and_an_audit_entry(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    mapping_id = create(api, manager, adv)
    assert api.delete(f"{ADV_MAPPINGS}/{mapping_id}", headers=manager.headers).status_code == 204
    assert api.get(f"/api/v1/advertisers/{adv}/provider-mappings/everflow", headers=manager.headers).status_code == 404
    assert sql("SELECT event_type FROM outbox WHERE event_type = 'provider_mapping.deleted'") == [
        {"event_type": "provider_mapping.deleted"}]
    audit = sql("SELECT changes FROM audit_log WHERE action = 'provider_mapping.delete'")[0]["changes"]
    assert audit["api_credentials"] == {"before": "<redacted>", "after": None}
    nothing_leaks(sql)


def test_affiliate_mappings_take_the_original_bare_body_and_can_be_updated(api, sql, make_org, make_user) -> None:
    org = make_org("affiliate")
    manager = make_user(Role.AFFILIATE_MANAGER, org)
    aff = affiliate(sql, org)
    created = api.post(AFF_MAPPINGS, json={"affiliate_id": aff, "provider_type": "everflow",
                                           "provider_affiliate_id": "77", "provider_config": {"a": 1}},
                       headers=manager.headers)
    assert created.status_code == 201, created.text
    mapping = created.json()["provider_mapping"]
    assert (mapping["affiliate_id"], mapping["provider_affiliate_id"], mapping["has_api_credentials"]) == (
        aff, "77", False)
    updated = api.put(f"{AFF_MAPPINGS}/{mapping['mapping_id']}", json={"provider_affiliate_id": "78"},
                      headers=manager.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["provider_mapping"]["provider_affiliate_id"] == "78"
    fetched = api.get(f"/api/v1/affiliates/{aff}/provider-mappings/everflow", headers=manager.headers).json()
    assert fetched == updated.json()
    assert api.delete(f"{AFF_MAPPINGS}/{mapping['mapping_id']}", headers=manager.headers).status_code == 204


def test_a_campaign_mapping_shows_its_offer_and_never_its_credentials(api, sql, org, manager) -> None:
    adv = advertiser(sql, org)
    cid = sql("INSERT INTO campaigns (organization_id, advertiser_id, name) VALUES (:org, :adv, 'Spring')"
              " RETURNING campaign_id", org=org, adv=adv)[0]["campaign_id"]
    sql("INSERT INTO campaign_provider_mappings (campaign_id, organization_id, provider_offer_id, provider_data,"
        " is_active_on_provider, sync_status, synced_version, last_synced_at, api_credentials, credentials_key_id)"
        " VALUES (:cid, :org, '555', '{\"network_offer_id\": 555}', TRUE, 'synced', 3, now(), :blob, 'dev')"
        " RETURNING mapping_id", cid=cid, org=org, blob=b"opaque")
    response = api.get(f"/api/v1/campaigns/{cid}/provider-mappings/everflow", headers=manager.headers)
    assert response.status_code == 200, response.text
    mapping = response.json()["provider_mapping"]
    assert {k: mapping[k] for k in ("campaign_id", "provider_offer_id", "provider_data", "is_active_on_provider",
                                    "sync_status", "synced_version", "has_api_credentials")} == {
        "campaign_id": cid, "provider_offer_id": "555", "provider_data": {"network_offer_id": 555},
        "is_active_on_provider": True, "sync_status": "synced", "synced_version": 3, "has_api_credentials": True}
    assert mapping["last_synced_at"] is not None
    assert "api_credentials" not in mapping and "credentials_key_id" not in mapping


def test_a_write_that_fails_midway_leaves_no_mapping_event_or_audit_entry(api, sql, org, manager,
                                                                          monkeypatch) -> None:
    adv = advertiser(sql, org)
    monkeypatch.setenv("CREDENTIALS_ACTIVE_KEY_ID", "missing-key")  # encryption fails inside the transaction
    get_settings.cache_clear()
    response = api.post(ADV_MAPPINGS, json=body(adv), headers=manager.headers)
    assert response.status_code == 500
    assert response.json()["error"] == {"code": "internal", "message": "Something went wrong on our side."}
    assert counts(sql) == (0, 0, 0)


def test_plain_users_and_agency_managers_may_not_read_or_manage_mappings(api, sql, org, make_user) -> None:
    adv = advertiser(sql, org)
    for role in (Role.USER, Role.AGENCY_MANAGER):
        user = make_user(role, org)
        assert api.get(f"/api/v1/advertisers/{adv}/provider-mappings/everflow", headers=user.headers).status_code == 403
        assert api.post(ADV_MAPPINGS, json=body(adv), headers=user.headers).status_code == 403
    assert counts(sql) == (0, 0, 0)
