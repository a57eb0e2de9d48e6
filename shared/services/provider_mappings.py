"""Provider-mapping use cases: read, create, partially update and delete an entity's mapping at a provider.

The entity decides everything about tenancy: it must be visible to the caller (404 otherwise) and the
mapping takes its organization. Credentials are encrypted by the repository and never leave it; audit
entries and events carry them only as "<redacted>".
"""

from __future__ import annotations

from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.principal import Actor
from shared.domain.provider_mappings import (
    REDACTED,
    EntityKind,
    NewMapping,
    ProviderMapping,
    SyncStatus,
    audit_fields,
    parse_provider_type,
)
from shared.schemas.provider_mappings import MappingCreate, MappingUpdate

ENTITY_NAMES = {EntityKind.ADVERTISER: "Advertiser", EntityKind.AFFILIATE: "Affiliate",
                EntityKind.CAMPAIGN: "Campaign", EntityKind.TRACKING_LINK: "Tracking link"}


def get_mapping(kind: EntityKind, entity_id: int, provider_type: str, *, uow: UnitOfWork,
                actor: Actor) -> ProviderMapping:
    """The mapping of a visible entity at a provider (`provider_type` comes from the path)."""
    provider = parse_provider_type(provider_type)
    with uow:
        _entity_organization(uow, kind, entity_id)
        mapping = uow.provider_mappings.find(kind, entity_id, provider, uow.scope)
    if mapping is None:
        raise NotFound(f"{ENTITY_NAMES[kind]} {entity_id} has no {provider.value} mapping.")
    return mapping


def create_mapping(kind: EntityKind, cmd: MappingCreate, *, uow: UnitOfWork, actor: Actor) -> ProviderMapping:
    """One mapping per entity and provider (409 for a second); its organization is the entity's."""
    entity_id: int = getattr(cmd, kind.entity_field)
    with uow:
        organization_id = _entity_organization(uow, kind, entity_id)
        new = NewMapping(kind, entity_id, organization_id, cmd.provider_type,
                         getattr(cmd, kind.provider_id_field), cmd.provider_config, cmd.provider_data,
                         cmd.sync_status or SyncStatus.PENDING)
        mapping = uow.provider_mappings.add(new, api_credentials=cmd.api_credentials)
        if mapping is None:
            raise Conflict(f"{ENTITY_NAMES[kind]} {entity_id} already has a {new.provider_type.value} mapping.")
        _record(uow, actor, mapping, "created", diff({}, audit_fields(mapping)))
        uow.commit()
    return mapping


def update_mapping(kind: EntityKind, mapping_id: int, cmd: MappingUpdate, *, uow: UnitOfWork,
                   actor: Actor) -> ProviderMapping:
    """Partial update; the entity and provider of a mapping never change."""
    with uow:
        current = _visible(uow, kind, mapping_id)
        changes = _changes(kind, current, cmd)
        mapping = uow.provider_mappings.update(current, changes)
        changed = diff(audit_fields(current), audit_fields(mapping))
        if "api_credentials" in changes:  # a replaced secret looks the same redacted, so say it changed
            changed["api_credentials"] = {"before": audit_fields(current)["api_credentials"],
                                          "after": REDACTED if mapping.has_api_credentials else None}
        if changed:
            _record(uow, actor, mapping, "updated", changed)
        uow.commit()
    return mapping


def delete_mapping(kind: EntityKind, mapping_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """Remove the link to the provider (the provider's record is untouched); the audit log keeps its last state."""
    with uow:
        current = _visible(uow, kind, mapping_id)
        uow.provider_mappings.delete(kind, mapping_id)
        _record(uow, actor, current, "deleted", diff(audit_fields(current), {}))
        uow.commit()


def _changes(kind: EntityKind, current: ProviderMapping, cmd: MappingUpdate) -> dict[str, Any]:
    """The fields the body sets, under the repository's names; a null config or data means `{}`."""
    given = cmd.model_dump(exclude_unset=True)
    for name, value in ((kind.entity_field, current.entity_id), ("provider_type", current.provider_type)):
        if given.pop(name, None) not in (None, value):
            raise ValidationFailed(f"{name} of a mapping cannot be changed.", details=[
                {"field": f"provider_mapping.{name}", "location": "body", "message": "cannot be changed",
                 "type": "immutable"}])
    if kind.provider_id_field in given:
        given["provider_entity_id"] = given.pop(kind.provider_id_field)
    for name in ("provider_config", "provider_data"):
        if name in given and given[name] is None:
            given[name] = {}
    if given.get("sync_status", "") is None:
        given.pop("sync_status")
    return given


def _entity_organization(uow: UnitOfWork, kind: EntityKind, entity_id: int) -> int:
    organization_id = uow.provider_mappings.entity_organization(kind, entity_id, uow.scope)
    if organization_id is None:
        raise NotFound(f"{ENTITY_NAMES[kind]} {entity_id} was not found.")
    return organization_id


def _visible(uow: UnitOfWork, kind: EntityKind, mapping_id: int) -> ProviderMapping:
    mapping = uow.provider_mappings.get_mapping(kind, mapping_id, uow.scope, for_update=True)
    if mapping is None:
        raise NotFound(f"Provider mapping {mapping_id} was not found.")
    return mapping


def _record(uow: UnitOfWork, actor: Actor, mapping: ProviderMapping, verb: str, changes: dict[str, Any]) -> None:
    """The audit entry and the outbox event of one change, in its transaction; no secret in either."""
    entity_type, mapping_id = mapping.kind.mapping_type, str(mapping.mapping_id)
    action = {"created": "create", "updated": "update", "deleted": "delete"}[verb]
    uow.audit.record(actor, AuditEntry(f"provider_mapping.{action}", entity_type, mapping_id,
                                       mapping.organization_id, changes))
    payload = {"mapping_id": mapping.mapping_id, "entity_type": mapping.kind.value, **audit_fields(mapping)}
    uow.outbox.add(DomainEvent(f"provider_mapping.{verb}", entity_type, mapping_id, mapping.organization_id,
                               version=None, payload=payload))
