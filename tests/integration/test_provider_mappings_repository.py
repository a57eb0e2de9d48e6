"""The provider-mapping repository against PostgreSQL: encryption at rest, tenant scope, forward-only sync results."""

from __future__ import annotations

import base64
import json
import os

import pytest

from shared.config import get_settings
from shared.crypto import DecryptionFailed
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import EntityKind, NewMapping, ProviderType, SyncResult, SyncStatus

EVERYTHING = TenantScope.everything()
CREDENTIALS = {"api_key": "ef-very-secret-key", "network_id": 42}


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


def advertiser(sql, org: int, name: str = "Acme") -> int:
    return int(sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, :name) RETURNING advertiser_id",
                   org=org, name=name)[0]["advertiser_id"])


def campaign(sql, org: int) -> int:
    adv = advertiser(sql, org)
    return int(sql("INSERT INTO campaigns (organization_id, advertiser_id, name) VALUES (:org, :adv, 'Spring')"
                   " RETURNING campaign_id", org=org, adv=adv)[0]["campaign_id"])


def tracking_link(sql, org: int, affiliate_org: int) -> int:
    cid = campaign(sql, org)
    aff = int(sql("INSERT INTO affiliates (organization_id, name) VALUES (:org, 'Pub') RETURNING affiliate_id",
                  org=affiliate_org)[0]["affiliate_id"])
    return int(sql("INSERT INTO tracking_links (organization_id, affiliate_org_id, campaign_id, affiliate_id, name)"
                   " VALUES (:org, :aorg, :cid, :aff, 'Link') RETURNING tracking_link_id",
                   org=org, aorg=affiliate_org, cid=cid, aff=aff)[0]["tracking_link_id"])


def add_mapping(org: int, entity_id: int, credentials: dict | None = CREDENTIALS, kind=EntityKind.ADVERTISER):
    with UnitOfWork(TenantScope.only(org)) as uow:
        mapping = uow.provider_mappings.add(
            NewMapping(kind, entity_id, org, ProviderType.EVERFLOW, "ef-1", {"mode": "x"}, {"a": 1}),
            api_credentials=credentials)
        uow.commit()
    assert mapping is not None
    return mapping


def credentials_of(kind: EntityKind, entity_id: int, scope: TenantScope = EVERYTHING):
    with UnitOfWork(scope) as uow:
        return uow.provider_mappings.decrypted_credentials(kind, entity_id, scope)


def use_keys(monkeypatch, active: str, **keys: bytes) -> None:
    monkeypatch.setenv("CREDENTIALS_KEYS", ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in keys.items()))
    monkeypatch.setenv("CREDENTIALS_ACTIVE_KEY_ID", active)
    get_settings.cache_clear()


def sync(kind: EntityKind, entity_id: int, version: int, data: dict, status=SyncStatus.SYNCED, **extra):
    result = SyncResult(f"ef-{version}", data, {"request": {}}, status, version, **extra)
    with UnitOfWork(EVERYTHING) as uow:
        stored = uow.provider_mappings.upsert_sync_result(kind, entity_id, result, scope=EVERYTHING)
        uow.commit()
    return stored


def test_credentials_are_stored_encrypted_under_the_active_key_and_decrypt_back(env, sql, org) -> None:
    adv = advertiser(sql, org)
    mapping = add_mapping(org, adv)
    row = sql("SELECT api_credentials, credentials_key_id FROM advertiser_provider_mappings")[0]
    stored = bytes(row["api_credentials"])
    assert b"ef-very-secret-key" not in stored
    assert json.dumps(CREDENTIALS).encode() not in stored
    assert row["credentials_key_id"] == "dev"
    assert mapping.has_api_credentials
    assert credentials_of(EntityKind.ADVERTISER, adv) == CREDENTIALS


def test_a_mapping_without_credentials_stores_no_ciphertext(env, sql, org) -> None:
    adv = advertiser(sql, org)
    assert not add_mapping(org, adv, credentials=None).has_api_credentials
    assert sql("SELECT api_credentials, credentials_key_id FROM advertiser_provider_mappings") == [
        {"api_credentials": None, "credentials_key_id": None}]
    assert credentials_of(EntityKind.ADVERTISER, adv) is None


def test_ciphertext_copied_onto_another_row_does_not_decrypt(env, sql, org) -> None:
    first, second = advertiser(sql, org, "First"), advertiser(sql, org, "Second")
    add_mapping(org, first)
    add_mapping(org, second, credentials={"api_key": "other"})
    sql("UPDATE advertiser_provider_mappings SET api_credentials = (SELECT api_credentials FROM"
        " advertiser_provider_mappings WHERE advertiser_id = :a) WHERE advertiser_id = :b RETURNING mapping_id",
        a=first, b=second)
    with pytest.raises(DecryptionFailed):
        credentials_of(EntityKind.ADVERTISER, second)


def test_after_rotation_old_rows_decrypt_and_rewritten_credentials_use_the_new_key(env, sql, org,
                                                                                   monkeypatch) -> None:
    keys = {"kid1": os.urandom(32), "kid2": os.urandom(32)}
    use_keys(monkeypatch, "kid1", **keys)
    adv = advertiser(sql, org)
    mapping = add_mapping(org, adv)
    use_keys(monkeypatch, "kid2", **keys)
    assert credentials_of(EntityKind.ADVERTISER, adv) == CREDENTIALS
    with UnitOfWork(EVERYTHING) as uow:
        uow.provider_mappings.update(mapping, {"api_credentials": {"api_key": "rotated"}})
        uow.commit()
    assert sql("SELECT credentials_key_id FROM advertiser_provider_mappings") == [{"credentials_key_id": "kid2"}]
    assert credentials_of(EntityKind.ADVERTISER, adv) == {"api_key": "rotated"}


def test_a_second_mapping_for_the_same_entity_and_provider_is_not_inserted(env, sql, org) -> None:
    adv = advertiser(sql, org)
    add_mapping(org, adv)
    with UnitOfWork(TenantScope.only(org)) as uow:
        again = uow.provider_mappings.add(NewMapping(EntityKind.ADVERTISER, adv, org, ProviderType.EVERFLOW))
    assert again is None


def test_another_tenant_sees_neither_the_entity_nor_its_mapping_nor_its_credentials(env, sql, org,
                                                                                    make_org) -> None:
    adv = advertiser(sql, org)
    mapping = add_mapping(org, adv)
    other = TenantScope.only(make_org("advertiser"))
    with UnitOfWork(other) as uow:
        repo = uow.provider_mappings
        assert repo.entity_organization(EntityKind.ADVERTISER, adv, other) is None
        assert repo.get_mapping(EntityKind.ADVERTISER, mapping.mapping_id, other) is None
        assert repo.find(EntityKind.ADVERTISER, adv, ProviderType.EVERFLOW, other) is None
        assert repo.decrypted_credentials(EntityKind.ADVERTISER, adv, other) is None
        assert repo.mark_pending(EntityKind.ADVERTISER, adv, scope=other) is False
    with UnitOfWork(TenantScope.only(org)) as uow:
        assert uow.provider_mappings.entity_organization(EntityKind.ADVERTISER, adv, TenantScope.only(org)) == org


def test_sync_results_create_the_mapping_with_the_entitys_organization(env, sql, org) -> None:
    adv = advertiser(sql, org)
    stored = sync(EntityKind.ADVERTISER, adv, 3, {"network_advertiser_id": 3})
    assert stored is not None
    assert (stored.organization_id, stored.provider_entity_id, stored.synced_version) == (org, "ef-3", 3)
    assert stored.sync_status is SyncStatus.SYNCED and stored.last_sync_at is not None


def test_a_sync_result_for_an_older_entity_version_never_overwrites_a_newer_one(env, sql, org) -> None:
    adv = advertiser(sql, org)
    sync(EntityKind.ADVERTISER, adv, 5, {"name": "v5"})
    assert sync(EntityKind.ADVERTISER, adv, 4, {"name": "v4"}) is None
    row = sql("SELECT provider_data, synced_version, provider_advertiser_id FROM advertiser_provider_mappings")[0]
    assert (row["provider_data"], row["synced_version"], row["provider_advertiser_id"]) == ({"name": "v5"}, 5, "ef-5")
    assert sync(EntityKind.ADVERTISER, adv, 5, {"name": "v5 again"}) is not None  # redelivery is harmless
    assert sync(EntityKind.ADVERTISER, adv, 6, {"name": "v6"}).synced_version == 6


def test_a_failure_is_recorded_unless_a_newer_result_is_stored_and_keeps_the_provider_data(env, sql, org) -> None:
    adv, fresh = advertiser(sql, org), advertiser(sql, org, "Fresh")
    with UnitOfWork(EVERYTHING) as uow:
        created = uow.provider_mappings.mark_failed(EntityKind.ADVERTISER, fresh, "HTTP 500", scope=EVERYTHING,
                                                    attempted_version=1)
        uow.commit()
    assert created is not None and created.sync_status is SyncStatus.FAILED and created.synced_version is None
    sync(EntityKind.ADVERTISER, adv, 7, {"name": "v7"})
    with UnitOfWork(EVERYTHING) as uow:
        repo = uow.provider_mappings
        stale = repo.mark_failed(EntityKind.ADVERTISER, adv, "late", scope=EVERYTHING, attempted_version=6)
        failed = repo.mark_failed(EntityKind.ADVERTISER, adv, "x" * 5_000, scope=EVERYTHING, attempted_version=8)
        uow.commit()
    assert stale is None
    assert failed is not None and failed.sync_status is SyncStatus.FAILED
    assert (failed.provider_data, failed.synced_version, len(failed.sync_error or "")) == ({"name": "v7"}, 7, 2_000)


def test_marking_pending_clears_the_error_and_reports_whether_a_mapping_exists(env, sql, org) -> None:
    adv, unmapped = advertiser(sql, org), advertiser(sql, org, "Unmapped")
    with UnitOfWork(EVERYTHING) as uow:
        uow.provider_mappings.mark_failed(EntityKind.ADVERTISER, adv, "boom", scope=EVERYTHING)
        assert uow.provider_mappings.mark_pending(EntityKind.ADVERTISER, adv, scope=EVERYTHING) is True
        assert uow.provider_mappings.mark_pending(EntityKind.ADVERTISER, unmapped, scope=EVERYTHING) is False
        uow.commit()
    assert sql("SELECT sync_status, sync_error FROM advertiser_provider_mappings") == [
        {"sync_status": "pending", "sync_error": None}]


def test_campaign_and_tracking_link_tables_are_served_by_the_same_statements(env, sql, org, make_org) -> None:
    cid = campaign(sql, org)
    offer = sync(EntityKind.CAMPAIGN, cid, 2, {"network_offer_id": 9}, is_active_on_provider=True)
    assert offer is not None and offer.is_active_on_provider is True and offer.last_sync_at is not None
    assert sql("SELECT last_synced_at IS NOT NULL AS stamped, provider_offer_id FROM campaign_provider_mappings") == [
        {"stamped": True, "provider_offer_id": "ef-2"}]
    link = tracking_link(sql, org, make_org("affiliate"))
    stored = sync(EntityKind.TRACKING_LINK, link, 1, {"generated_url": "https://t.example/x"})
    assert stored is not None and stored.organization_id == org and stored.provider_config == {}
    assert credentials_of(EntityKind.TRACKING_LINK, link) is None
    with UnitOfWork(EVERYTHING) as uow:
        found = uow.provider_mappings.find(EntityKind.TRACKING_LINK, link, ProviderType.EVERFLOW, EVERYTHING)
    assert found is not None and found.provider_data == {"generated_url": "https://t.example/x"}


def test_a_partial_update_changes_only_the_given_fields_and_can_remove_the_credentials(env, sql, org) -> None:
    adv = advertiser(sql, org)
    mapping = add_mapping(org, adv)
    with UnitOfWork(TenantScope.only(org)) as uow:
        updated = uow.provider_mappings.update(mapping, {"provider_data": {"b": 2}, "api_credentials": None})
        uow.commit()
    assert (updated.provider_data, updated.provider_config, updated.provider_entity_id) == ({"b": 2}, {"mode": "x"},
                                                                                              "ef-1")
    assert not updated.has_api_credentials
    assert sql("SELECT api_credentials, credentials_key_id FROM advertiser_provider_mappings") == [
        {"api_credentials": None, "credentials_key_id": None}]
