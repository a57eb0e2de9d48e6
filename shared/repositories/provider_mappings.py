"""SQL for the four provider-mapping tables, described once each and served by the same statements.

Credentials are encrypted here, on their way in, and decrypted only by `decrypted_credentials`
(server-side use by the sync); no other method reads them. Their associated data names the table,
entity and provider, so ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared import crypto
from shared.db.session import Row, Session
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import (
    EntityKind,
    NewMapping,
    ProviderMapping,
    ProviderType,
    SyncResult,
    SyncStatus,
    sync_error_text,
)

EVERFLOW = ProviderType.EVERFLOW


@dataclass(frozen=True)
class MappingTable:
    """How one kind's mappings are stored; column names beyond these are the same in every table."""

    kind: EntityKind
    table: str
    entity_table: str
    last_sync_column: str = "last_sync_at"
    has_credentials: bool = True  # api_credentials, credentials_key_id and provider_config
    has_active_flag: bool = False  # is_active_on_provider

    @property
    def entity(self) -> str:
        return self.kind.entity_field

    @property
    def provider_id(self) -> str:
        return self.kind.provider_id_field

    def columns(self) -> str:
        """The select list, aliased to the generic names `_mapping` reads."""
        optional = (
            "provider_config, credentials_key_id, api_credentials IS NOT NULL AS has_api_credentials"
            if self.has_credentials
            else "'{}'::jsonb AS provider_config, NULL AS credentials_key_id, FALSE AS has_api_credentials"
        )
        active = "is_active_on_provider" if self.has_active_flag else "NULL::boolean AS is_active_on_provider"
        return (f"mapping_id, {self.entity} AS entity_id, organization_id, provider_type,"
                f" {self.provider_id} AS provider_entity_id, provider_data, sync_status, synced_version,"
                f" {self.last_sync_column} AS last_sync_at, sync_error, created_at, updated_at, {optional}, {active}")

    def aad(self, entity_id: int, provider_type: ProviderType) -> str:
        return f"{self.table}:{entity_id}:{provider_type.value}"


TABLES: dict[EntityKind, MappingTable] = {
    EntityKind.ADVERTISER: MappingTable(EntityKind.ADVERTISER, "advertiser_provider_mappings", "advertisers"),
    EntityKind.AFFILIATE: MappingTable(EntityKind.AFFILIATE, "affiliate_provider_mappings", "affiliates"),
    EntityKind.CAMPAIGN: MappingTable(EntityKind.CAMPAIGN, "campaign_provider_mappings", "campaigns",
                                      last_sync_column="last_synced_at", has_active_flag=True),
    EntityKind.TRACKING_LINK: MappingTable(EntityKind.TRACKING_LINK, "tracking_link_provider_mappings",
                                           "tracking_links", has_credentials=False),
}
# Fields a partial update sets under their own names (the provider id and credentials are per table).
UPDATABLE = ("provider_config", "provider_data", "sync_status")


class ProviderMappingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def entity_organization(self, kind: EntityKind, entity_id: int, scope: TenantScope) -> int | None:
        """The organization of the entity a mapping would belong to; None if absent or outside `scope`."""
        t = TABLES[kind]
        where, params = _scoped(scope, "organization_id")
        value = self._session.fetch_value(
            f"SELECT organization_id FROM {t.entity_table} WHERE {t.entity} = :entity_id AND {where}",
            entity_id=entity_id, **params,
        )
        return int(value) if value is not None else None

    def get_mapping(self, kind: EntityKind, mapping_id: int, scope: TenantScope, *,
                    for_update: bool = False) -> ProviderMapping | None:
        t = TABLES[kind]
        where, params = _scoped(scope, "organization_id")
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {t.columns()} FROM {t.table} WHERE mapping_id = :id AND {where}{lock}", id=mapping_id, **params)
        return _mapping(kind, row) if row else None

    def find(self, kind: EntityKind, entity_id: int, provider_type: ProviderType,
             scope: TenantScope) -> ProviderMapping | None:
        """The mapping of one entity at one provider."""
        t = TABLES[kind]
        where, params = _scoped(scope, "organization_id")
        row = self._session.fetch_one(
            f"SELECT {t.columns()} FROM {t.table} WHERE {t.entity} = :entity_id AND provider_type = :ptype"
            f" AND {where}", entity_id=entity_id, ptype=provider_type.value, **params)
        return _mapping(kind, row) if row else None

    def add(self, new: NewMapping, *, api_credentials: dict[str, Any] | None = None) -> ProviderMapping | None:
        """Insert a mapping; None when the entity already has one for this provider."""
        t = TABLES[new.kind]
        values: dict[str, Any] = {
            "organization_id": new.organization_id, t.entity: new.entity_id, "provider_type": new.provider_type.value,
            t.provider_id: new.provider_entity_id, "provider_data": _json(new.provider_data or {}),
            "sync_status": new.sync_status.value,
        }
        if t.has_credentials:
            values["provider_config"] = _json(new.provider_config or {})
            values.update(_sealed(t, new.entity_id, new.provider_type, api_credentials))
        columns = ", ".join(values)
        row = self._session.fetch_one(
            f"INSERT INTO {t.table} ({columns}) VALUES ({_placeholders(values)})"
            f" ON CONFLICT ({t.entity}, provider_type) DO NOTHING RETURNING {t.columns()}", **values)
        return _mapping(new.kind, row) if row else None

    def update(self, current: ProviderMapping, changes: dict[str, Any]) -> ProviderMapping:
        """Apply a partial update: `provider_entity_id`, `provider_config`, `provider_data`, `sync_status`,
        and `api_credentials` (an object to encrypt, or None to remove them)."""
        t = TABLES[current.kind]
        values: dict[str, Any] = {
            name: _json(value) if name.startswith("provider_") else _db(value)
            for name, value in changes.items() if name in UPDATABLE and (t.has_credentials or name != "provider_config")
        }
        if "provider_entity_id" in changes:
            values[t.provider_id] = changes["provider_entity_id"]
        if "api_credentials" in changes and t.has_credentials:
            values.update(_sealed(t, current.entity_id, current.provider_type, changes["api_credentials"]))
        if not values:
            return current
        row = self._session.fetch_one(
            f"UPDATE {t.table} SET {_assignments(values)} WHERE mapping_id = :mapping_id RETURNING {t.columns()}",
            mapping_id=current.mapping_id, **values)
        assert row is not None
        return _mapping(current.kind, row)

    def delete(self, kind: EntityKind, mapping_id: int) -> bool:
        t = TABLES[kind]
        return self._session.execute(f"DELETE FROM {t.table} WHERE mapping_id = :id", id=mapping_id) > 0

    def upsert_sync_result(self, kind: EntityKind, entity_id: int, result: SyncResult, *, scope: TenantScope,
                           provider_type: ProviderType = EVERFLOW) -> ProviderMapping | None:
        """Store what a sync learned, creating the mapping if needed. Only moves forward: a result for an
        older entity version than the stored `synced_version` changes nothing and returns None."""
        t = TABLES[kind]
        values: dict[str, Any] = {
            t.provider_id: result.provider_entity_id, "provider_data": _json(result.provider_data),
            "sync_status": result.sync_status.value, "synced_version": result.synced_version,
            "sync_error": sync_error_text(result.sync_error) if result.sync_error else None,
        }
        if t.has_credentials:
            values["provider_config"] = _json(result.provider_config)
        if t.has_active_flag:
            values["is_active_on_provider"] = bool(result.is_active_on_provider)
        guard = f"{t.table}.synced_version IS NULL OR {t.table}.synced_version <= EXCLUDED.synced_version"
        return self._upsert(t, entity_id, provider_type, values, scope=scope, guard=guard, stamp=True)

    def mark_failed(self, kind: EntityKind, entity_id: int, error: str, *, scope: TenantScope,
                    attempted_version: int | None = None,
                    provider_type: ProviderType = EVERFLOW) -> ProviderMapping | None:
        """Record a failed sync (creating the mapping if none exists yet), unless a result for the attempted
        entity version or a newer one is already stored; the provider data and synced version are kept."""
        t = TABLES[kind]
        values = {"sync_status": SyncStatus.FAILED.value, "sync_error": sync_error_text(error)}
        guard = f"{t.table}.synced_version IS NULL OR CAST(:attempted AS BIGINT) IS NULL" \
                f" OR {t.table}.synced_version < CAST(:attempted AS BIGINT)"
        return self._upsert(t, entity_id, provider_type, values, scope=scope, guard=guard, stamp=False,
                            attempted=attempted_version)

    def mark_pending(self, kind: EntityKind, entity_id: int, *, scope: TenantScope,
                     provider_type: ProviderType = EVERFLOW) -> bool:
        """The entity changed: its mapping (if any) waits for the next sync."""
        t = TABLES[kind]
        where, params = _scoped(scope, "organization_id")
        return self._session.execute(
            f"UPDATE {t.table} SET sync_status = 'pending', sync_error = NULL"
            f" WHERE {t.entity} = :entity_id AND provider_type = :ptype AND {where}",
            entity_id=entity_id, ptype=provider_type.value, **params) > 0

    def out_of_date(self, kind: EntityKind, *, after_id: int = 0, limit: int = 500) -> list[int]:
        """Entities whose Everflow object is missing, failed, pending or older than their version, by id.

        An archived entity that never reached the provider is left alone: there is nothing to archive.
        """
        t = TABLES[kind]
        rows = self._session.fetch_all(
            f"SELECT e.{t.entity} AS id FROM {t.entity_table} e"
            f" LEFT JOIN {t.table} m ON m.{t.entity} = e.{t.entity} AND m.provider_type = 'everflow'"
            f" WHERE e.{t.entity} > :after AND ("
            f"   (m.mapping_id IS NULL AND e.status <> 'archived')"
            f"   OR (m.mapping_id IS NOT NULL AND (m.sync_status <> 'synced'"
            f"       OR coalesce(m.synced_version, 0) < e.version)))"
            f" ORDER BY e.{t.entity} LIMIT :limit", after=after_id, limit=limit)
        return [int(row["id"]) for row in rows]

    def synced(self, kind: EntityKind, *, after_id: int = 0, limit: int = 500) -> list[int]:
        """Entities whose mapping says their current version is in Everflow, by id (drift checks read them)."""
        t = TABLES[kind]
        rows = self._session.fetch_all(
            f"SELECT e.{t.entity} AS id FROM {t.entity_table} e JOIN {t.table} m ON m.{t.entity} = e.{t.entity}"
            f" AND m.provider_type = 'everflow' WHERE e.{t.entity} > :after AND m.sync_status = 'synced'"
            f" AND m.synced_version >= e.version ORDER BY e.{t.entity} LIMIT :limit", after=after_id, limit=limit)
        return [int(row["id"]) for row in rows]

    def lock_entity(self, kind: EntityKind, entity_id: int) -> None:
        """Serialize syncs of one entity until the transaction ends (a redelivery waits, then finds it done)."""
        self._session.fetch_value("SELECT pg_advisory_xact_lock(hashtext(:kind), CAST(:id AS INTEGER))",
                                  kind=f"sync:{kind.value}", id=entity_id % 2_147_483_647)

    def decrypted_credentials(self, kind: EntityKind, entity_id: int, scope: TenantScope, *,
                              provider_type: ProviderType = EVERFLOW) -> dict[str, Any] | None:
        """The stored credentials in clear, for server-side calls to the provider only; never render them."""
        t = TABLES[kind]
        if not t.has_credentials:
            return None
        where, params = _scoped(scope, "organization_id")
        row = self._session.fetch_one(
            f"SELECT api_credentials, credentials_key_id FROM {t.table}"
            f" WHERE {t.entity} = :entity_id AND provider_type = :ptype AND {where}",
            entity_id=entity_id, ptype=provider_type.value, **params)
        if row is None or row["api_credentials"] is None:
            return None
        clear = crypto.decrypt(row["credentials_key_id"], bytes(row["api_credentials"]),
                               aad=t.aad(entity_id, provider_type))
        credentials: dict[str, Any] = json.loads(clear)
        return credentials

    def _upsert(self, t: MappingTable, entity_id: int, provider_type: ProviderType, values: dict[str, Any], *,
                scope: TenantScope, guard: str, stamp: bool, **extra: Any) -> ProviderMapping | None:
        """Insert the mapping with the entity's organization, or update it where `guard` holds;
        `stamp` sets the last sync time (a result was received)."""
        where, params = _scoped(scope, "e.organization_id")
        stamped = [t.last_sync_column] if stamp else []
        columns = ", ".join([*values, *stamped])
        placeholders = ", ".join([_placeholders(values), *(["now()"] if stamp else [])])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*values, *stamped])
        row = self._session.fetch_one(
            f"INSERT INTO {t.table} (organization_id, {t.entity}, provider_type, {columns})"
            f" SELECT e.organization_id, e.{t.entity}, :ptype, {placeholders}"
            f" FROM {t.entity_table} e WHERE e.{t.entity} = :entity_id AND {where}"
            f" ON CONFLICT ({t.entity}, provider_type) DO UPDATE SET {updates} WHERE {guard}"
            f" RETURNING {t.columns()}",
            entity_id=entity_id, ptype=provider_type.value, **values, **params, **extra)
        return _mapping(t.kind, row) if row else None


def _sealed(t: MappingTable, entity_id: int, provider_type: ProviderType,
            credentials: dict[str, Any] | None) -> dict[str, Any]:
    """The credential columns: ciphertext under the active key, or both NULL."""
    if credentials is None:
        return {"api_credentials": None, "credentials_key_id": None}
    plaintext = json.dumps(credentials, sort_keys=True, separators=(",", ":")).encode()
    key_id, blob = crypto.encrypt(plaintext, aad=t.aad(entity_id, provider_type))
    return {"api_credentials": blob, "credentials_key_id": key_id}


def _scoped(scope: TenantScope, column: str) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return f"{column} = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


def _placeholders(values: dict[str, Any]) -> str:
    return ", ".join(f"CAST(:{c} AS JSONB)" if c in {"provider_config", "provider_data"} else f":{c}" for c in values)


def _assignments(values: dict[str, Any]) -> str:
    return ", ".join(f"{c} = {p}" for c, p in zip(values, _placeholders(values).split(", "), strict=True))


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _db(value: Any) -> Any:
    return value.value if isinstance(value, SyncStatus) else value


def _object(value: Any) -> dict[str, Any]:
    parsed = json.loads(value) if isinstance(value, str) else value
    return parsed if isinstance(parsed, dict) else {}


def _mapping(kind: EntityKind, row: Row) -> ProviderMapping:
    return ProviderMapping(
        mapping_id=row["mapping_id"], kind=kind, entity_id=row["entity_id"], organization_id=row["organization_id"],
        provider_type=ProviderType(row["provider_type"]), provider_entity_id=row["provider_entity_id"],
        provider_config=_object(row["provider_config"]), provider_data=_object(row["provider_data"]),
        has_api_credentials=bool(row["has_api_credentials"]), sync_status=SyncStatus(row["sync_status"]),
        synced_version=row["synced_version"], last_sync_at=row["last_sync_at"], sync_error=row["sync_error"],
        created_at=row["created_at"], updated_at=row["updated_at"], credentials_key_id=row["credentials_key_id"],
        is_active_on_provider=row["is_active_on_provider"],
    )
