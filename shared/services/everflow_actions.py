"""One entity and its Everflow object, on request: push it now, pull Everflow's edits back, compare the two.

The entity must be visible to the caller (404 otherwise); Everflow is always addressed by the id the
mapping stores, never by ours. A transient Everflow failure is EverflowUnavailable (503, retry later),
a refusal EverflowRefused (422, with Everflow's message).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.adapters.everflow.errors import EverflowError
from shared.adapters.everflow.mapping import (
    advertiser_payload,
    affiliate_payload,
    compare,
    offer_payload,
    relationships_for_update,
)
from shared.adapters.everflow.mapping_pull import Pull, Skipped, pulled_changes
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from shared.domain.principal import Actor
from shared.domain.provider_mappings import EntityKind, ProviderMapping, ProviderType, audit_fields
from shared.schemas.advertisers import AdvertiserUpdate
from shared.schemas.affiliates import AffiliateUpdate
from shared.schemas.campaigns import CampaignUpdate
from shared.services import advertisers, affiliates, campaigns
from shared.services.everflow_sync import Everflow, SyncFailed, SyncOutcome, sync_entity

EVERFLOW = ProviderType.EVERFLOW
T = TypeVar("T")
RETRY_AFTER_S = 30  # Everflow's rate-limit windows are 30 s long
NAMES = {EntityKind.ADVERTISER: "Advertiser", EntityKind.AFFILIATE: "Affiliate", EntityKind.CAMPAIGN: "Campaign"}
OBJECTS = {EntityKind.ADVERTISER: "advertiser", EntityKind.AFFILIATE: "affiliate", EntityKind.CAMPAIGN: "offer"}
UPDATES: dict[EntityKind, tuple[type[BaseModel], Callable[..., Any]]] = {
    EntityKind.ADVERTISER: (AdvertiserUpdate, advertisers.update_advertiser),
    EntityKind.AFFILIATE: (AffiliateUpdate, affiliates.update_affiliate),
    EntityKind.CAMPAIGN: (CampaignUpdate, campaigns.update_campaign),
}


class EverflowUnavailable(ServiceUnavailable):
    code = "everflow_unavailable"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class EverflowRefused(ValidationFailed):
    code = "everflow_refused"


@dataclass(frozen=True)
class Pushed:
    action: str  # created | updated | adopted
    mapping: ProviderMapping


@dataclass(frozen=True)
class Pulled:
    entity: Any
    changes: dict[str, Any]
    skipped: list[Skipped]


@dataclass(frozen=True)
class Finding:
    """A difference between the entity and its Everflow object; `critical` when the object is unreachable."""

    field: str
    local_value: Any
    provider_value: Any
    severity: str
    message: str | None = None


@dataclass(frozen=True)
class _Loaded:
    entity: Any
    organization: Any
    mapping: ProviderMapping | None
    network_advertiser_id: int | None  # campaigns: the advertiser's Everflow id, when it has one


def sync_to_everflow(kind: EntityKind, entity_id: int, *, uow: UnitOfWork, actor: Actor,
                     sync: Callable[[EntityKind, int], SyncOutcome] = sync_entity) -> Pushed:
    """Write the entity to Everflow now, even when its mapping says it is current (Everflow may have drifted)."""
    with uow:
        entity = _visible(uow, kind, entity_id)
        before = uow.provider_mappings.find(kind, entity_id, EVERFLOW, uow.scope)
        if before is None and entity.status == "archived":
            raise Conflict(f"{NAMES[kind]} {entity_id} is archived and was never in Everflow: nothing to sync.")
        uow.provider_mappings.mark_pending(kind, entity_id, scope=uow.scope)
        uow.commit()
    outcome = _everflow(lambda: sync(kind, entity_id))
    with uow:
        after = uow.provider_mappings.find(kind, entity_id, EVERFLOW, uow.scope)
        assert after is not None
        changes = diff(audit_fields(before) if before else {}, audit_fields(after))
        uow.audit.record(actor, AuditEntry("provider_mapping.sync", kind.mapping_type, str(after.mapping_id),
                                           after.organization_id, {**changes, "action": outcome.action}))
        uow.commit()
    return Pushed(outcome.action, after)


def sync_from_everflow(kind: EntityKind, entity_id: int, *, uow: UnitOfWork, actor: Actor,
                       everflow: Everflow) -> Pulled:
    """Take over the fields network staff changed in Everflow (see mapping_pull), as a normal update."""
    with uow:
        loaded = _load(uow, kind, entity_id)
    remote_id = _remote_id(kind, entity_id, loaded.mapping)
    if loaded.entity.status == "archived":
        raise Conflict(f"{NAMES[kind]} {entity_id} is archived; nothing is pulled into it.")
    remote = _everflow(lambda: _fetch(kind, remote_id, everflow))
    pull = pulled_changes(kind, loaded.entity, compare(kind, _payload(kind, loaded, everflow, remote), remote))
    changes, invalid = _valid(kind, pull)
    entity = loaded.entity
    if changes:
        model, update = UPDATES[kind]
        entity = update(entity_id, model.model_validate_json(json.dumps(changes)), uow=uow, actor=actor)
    return Pulled(entity, changes, pull.skipped + invalid)


def compare_with_everflow(kind: EntityKind, entity_id: int, *, uow: UnitOfWork, actor: Actor,
                          everflow: Everflow) -> list[Finding]:
    """Field-by-field differences, most severe first; none when the two agree."""
    with uow:
        loaded = _load(uow, kind, entity_id)
    mapping = loaded.mapping
    if mapping is None or not mapping.provider_entity_id:
        return [Finding("provider_mapping", entity_id, None, "critical",
                        f"{NAMES[kind]} {entity_id} has no Everflow {OBJECTS[kind]}.")]
    try:
        remote = _fetch(kind, int(mapping.provider_entity_id), everflow)
    except EverflowError as exc:
        if exc.transient:
            raise _unavailable(exc) from exc
        return [Finding("provider_record", mapping.provider_entity_id, None, "critical", exc.message)]
    return [Finding(d.field, d.local_value, d.provider_value, d.severity.value)
            for d in compare(kind, _payload(kind, loaded, everflow, remote), remote)]


def _visible(uow: UnitOfWork, kind: EntityKind, entity_id: int) -> Any:
    repository: Any = {EntityKind.ADVERTISER: uow.advertisers, EntityKind.AFFILIATE: uow.affiliates,
                       EntityKind.CAMPAIGN: uow.campaigns}[kind]
    entity = repository.get(entity_id, uow.scope)
    if entity is None:
        raise NotFound(f"{NAMES[kind]} {entity_id} was not found.")
    return entity


def _load(uow: UnitOfWork, kind: EntityKind, entity_id: int) -> _Loaded:
    entity = _visible(uow, kind, entity_id)
    mapping = uow.provider_mappings.find(kind, entity_id, EVERFLOW, uow.scope)
    if kind is EntityKind.CAMPAIGN:
        owner = uow.provider_mappings.find(EntityKind.ADVERTISER, entity.advertiser_id, EVERFLOW, uow.scope)
        network_id = int(owner.provider_entity_id) if owner and owner.provider_entity_id else None
        return _Loaded(entity, None, mapping, network_id)
    return _Loaded(entity, uow.organizations.get(entity.organization_id, uow.scope), mapping, None)


def _remote_id(kind: EntityKind, entity_id: int, mapping: ProviderMapping | None) -> int:
    if mapping is None or not mapping.provider_entity_id:
        raise Conflict(f"{NAMES[kind]} {entity_id} has no Everflow {OBJECTS[kind]} yet; sync it to Everflow first.")
    return int(mapping.provider_entity_id)


def _fetch(kind: EntityKind, remote_id: int, everflow: Everflow) -> dict[str, Any]:
    """Everflow's object with the relationships a full comparison needs."""
    client, relationships = everflow.client, relationships_for_update(kind)
    if kind is EntityKind.ADVERTISER:
        return client.get_advertiser(remote_id, relationships)
    if kind is EntityKind.AFFILIATE:
        return client.get_affiliate(remote_id, relationships)
    return client.get_offer(remote_id, relationships)


def _payload(kind: EntityKind, loaded: _Loaded, everflow: Everflow, remote: dict[str, Any]) -> dict[str, Any]:
    """What a sync would write over `remote`: the side of the comparison that is ours."""
    if kind is EntityKind.ADVERTISER:
        return advertiser_payload(loaded.entity, loaded.organization, everflow.defaults, existing=remote)
    if kind is EntityKind.AFFILIATE:
        return affiliate_payload(loaded.entity, loaded.organization, everflow.defaults, existing=remote)
    network_id = loaded.network_advertiser_id or int(remote.get("network_advertiser_id") or 0)
    return offer_payload(loaded.entity, network_advertiser_id=network_id, defaults=everflow.defaults, existing=remote)


def _valid(kind: EntityKind, pull: Pull) -> tuple[dict[str, Any], list[Skipped]]:
    """The changes our own rules accept, field by field; the others are reported, not applied."""
    model = UPDATES[kind][0]
    valid: dict[str, Any] = {}
    invalid: list[Skipped] = []
    for field, value in pull.changes.items():
        try:
            model.model_validate_json(json.dumps({field: value}))
        except ValidationError as exc:
            reason = "; ".join(str(error["msg"]) for error in exc.errors(include_url=False, include_input=False))
            invalid.append(Skipped(pull.sources[field], value, f"not valid here: {reason}"))
        else:
            valid[field] = value
    return valid, invalid


def _everflow(call: Callable[[], T]) -> T:
    """Everflow's failures as the caller should see them."""
    try:
        return call()
    except SyncFailed as exc:
        raise EverflowRefused(str(exc)) from exc
    except EverflowError as exc:
        if exc.transient:
            raise _unavailable(exc) from exc
        raise EverflowRefused(f"Everflow refused the request: {exc.message}") from exc


def _unavailable(exc: EverflowError) -> EverflowUnavailable:
    wait = math.ceil(exc.retry_after) if exc.retry_after else RETRY_AFTER_S
    return EverflowUnavailable("Everflow is unavailable right now; try again shortly.", retry_after_s=max(wait, 1))
