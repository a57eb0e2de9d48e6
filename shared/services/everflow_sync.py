"""Mirror advertisers, affiliates and campaigns into Everflow, once per entity version.

Each sync locks its entity (a concurrent redelivery waits, then finds the work done), loads the
latest state (so events may arrive in any order), creates or read-modify-writes the Everflow object,
and stores the mapping in the same transaction. A campaign first makes sure its advertiser exists.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from shared.adapters.everflow.client import EverflowClient, get_everflow_client
from shared.adapters.everflow.errors import EverflowError
from shared.adapters.everflow.mapping import (
    EverflowDefaults,
    advertiser_payload,
    affiliate_payload,
    defaults_from_settings,
    mapping_data,
    offer_payload,
    provider_id,
    relationships_for_update,
)
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.errors import Conflict, DomainError, NotFound, ServiceUnavailable
from shared.domain.events import DomainEvent
from shared.domain.principal import SYSTEM, TenantScope
from shared.domain.provider_mappings import (
    EntityKind,
    ProviderMapping,
    ProviderType,
    SyncResult,
    SyncStatus,
    audit_fields,
    sync_error_text,
)
from shared.services.tracking_links import set_tracking_url

log = logging.getLogger(__name__)
EVERYTHING = TenantScope.everything()
SYNCED_KINDS = (EntityKind.ADVERTISER, EntityKind.AFFILIATE, EntityKind.CAMPAIGN)


class SyncFailed(Exception):
    """Everflow refused the entity for good (validation, not found): retrying cannot help."""


@dataclass(frozen=True)
class SyncOutcome:
    kind: EntityKind
    entity_id: int
    provider_entity_id: str
    action: str  # created | updated | adopted | unchanged


@dataclass(frozen=True)
class Everflow:
    """The client and the configured defaults a sync runs with."""

    client: EverflowClient
    defaults: EverflowDefaults

    @classmethod
    def configured(cls) -> Everflow:
        return cls(get_everflow_client(), defaults_from_settings(get_settings()))


def sync_entity(kind: EntityKind, entity_id: int, *, everflow: Everflow | None = None) -> SyncOutcome:
    """Bring one entity's Everflow object up to its current version; raise EverflowError when transient."""
    everflow = everflow or Everflow.configured()
    network_advertiser_id = _ensure_advertiser(entity_id, everflow) if kind is EntityKind.CAMPAIGN else None
    try:
        return _sync(kind, entity_id, everflow, network_advertiser_id)
    except ServiceUnavailable:  # the database is briefly out of reach: transient, so Pub/Sub redelivers
        raise
    except DomainError as exc:  # our own rules refuse it (e.g. an offer needs a destination URL)
        _record_failure(kind, entity_id, exc.message, final=True)
        raise SyncFailed(f"{kind.value} {entity_id} cannot be synced: {exc.message}") from exc
    except EverflowError as exc:
        _record_failure(kind, entity_id, f"{exc.status or ''} {exc.message}".strip(), final=not exc.transient)
        if exc.transient:
            raise
        raise SyncFailed(f"Everflow refused {kind.value} {entity_id}: {exc.message}") from exc


def network_id(kind: EntityKind, entity_id: int, everflow: Everflow) -> int:
    """The entity's Everflow id, syncing it first when it has none yet."""
    mapping = _mapping(kind, entity_id)
    if mapping is None or not mapping.provider_entity_id:
        return int(sync_entity(kind, entity_id, everflow=everflow).provider_entity_id)
    return int(mapping.provider_entity_id)


def _sync(kind: EntityKind, entity_id: int, everflow: Everflow, network_advertiser_id: int | None) -> SyncOutcome:
    with UnitOfWork(EVERYTHING) as uow:
        uow.provider_mappings.lock_entity(kind, entity_id)
        entity, organization = _load(uow, kind, entity_id)
        mapping = uow.provider_mappings.find(kind, entity_id, ProviderType.EVERFLOW, EVERYTHING)
        if _current(mapping, entity.version):
            assert mapping is not None and mapping.provider_entity_id is not None
            return SyncOutcome(kind, entity_id, mapping.provider_entity_id, "unchanged")
        response, action = _push(kind, entity, organization, mapping, everflow=everflow,
                                 network_advertiser_id=network_advertiser_id)
        uow.provider_mappings.upsert_sync_result(kind, entity_id, _result(kind, response, action, entity),
                                                 scope=EVERYTHING)
        uow.commit()
    return SyncOutcome(kind, entity_id, provider_id(kind, response), action)


def _push(kind: EntityKind, entity: Any, organization: Any, mapping: ProviderMapping | None, *,
          everflow: Everflow, network_advertiser_id: int | None) -> tuple[dict[str, Any], str]:
    ops = _OPS[kind]
    remote_id = int(mapping.provider_entity_id) if mapping and mapping.provider_entity_id else None
    action = "updated"
    if mapping is None:  # a first attempt: note it, so a retry after an unclear failure searches first
        _note_create_attempt(kind, _entity_id(kind, entity))
    elif remote_id is None:
        remote_id = _adopt(kind, entity, everflow)
        action = "adopted"
    if remote_id is None:
        payload = _payload(kind, entity, organization, everflow, network_advertiser_id, existing=None)
        return ops.create(everflow.client, payload), "created"
    existing = ops.get(everflow.client, remote_id, relationships_for_update(kind))
    payload = _payload(kind, entity, organization, everflow, network_advertiser_id, existing=existing)
    return ops.update(everflow.client, remote_id, payload), action


def _adopt(kind: EntityKind, entity: Any, everflow: Everflow) -> int | None:
    """An object a previous attempt created but could not record: found by our identity label."""
    label = f"{everflow.defaults.label_prefix}:{kind.value}:{_entity_id(kind, entity)}"
    found = _OPS[kind].search(everflow.client, {"labels": [label]})
    owned = [item for item in found if label in _labels(item)]
    return int(provider_id(kind, owned[0])) if len(owned) == 1 else None


def _payload(kind: EntityKind, entity: Any, organization: Any, everflow: Everflow,
             network_advertiser_id: int | None, *, existing: dict[str, Any] | None) -> dict[str, Any]:
    if kind is EntityKind.ADVERTISER:
        return advertiser_payload(entity, organization, everflow.defaults, existing=existing)
    if kind is EntityKind.AFFILIATE:
        return affiliate_payload(entity, organization, everflow.defaults, existing=existing)
    assert network_advertiser_id is not None
    return offer_payload(entity, network_advertiser_id=network_advertiser_id, defaults=everflow.defaults,
                         existing=existing)


def _ensure_advertiser(campaign_id: int, everflow: Everflow) -> int:
    with UnitOfWork(EVERYTHING) as uow:
        campaign = uow.campaigns.get(campaign_id, EVERYTHING)
    if campaign is None:
        raise SyncFailed(f"campaign {campaign_id} does not exist")
    return network_id(EntityKind.ADVERTISER, campaign.advertiser_id, everflow)


def _load(uow: UnitOfWork, kind: EntityKind, entity_id: int) -> tuple[Any, Any]:
    repositories: dict[EntityKind, Any] = {EntityKind.ADVERTISER: uow.advertisers,
                                           EntityKind.AFFILIATE: uow.affiliates, EntityKind.CAMPAIGN: uow.campaigns}
    entity = repositories[kind].get(entity_id, EVERYTHING)
    if entity is None:
        raise SyncFailed(f"{kind.value} {entity_id} does not exist")
    organization = uow.organizations.get(entity.organization_id, EVERYTHING)
    if organization is None:
        raise NotFound(f"organization {entity.organization_id} does not exist")
    return entity, organization


def _mapping(kind: EntityKind, entity_id: int) -> ProviderMapping | None:
    with UnitOfWork(EVERYTHING) as uow:
        return uow.provider_mappings.find(kind, entity_id, ProviderType.EVERFLOW, EVERYTHING)


def _current(mapping: ProviderMapping | None, version: int) -> bool:
    return (mapping is not None and mapping.sync_status is SyncStatus.SYNCED and bool(mapping.provider_entity_id)
            and (mapping.synced_version or 0) >= version)


def _result(kind: EntityKind, response: dict[str, Any], action: str, entity: Any) -> SyncResult:
    active = response.get("offer_status") == "active" if kind is EntityKind.CAMPAIGN else None
    config = {"last_operation": action, "last_operation_time": datetime.now(UTC).isoformat()}
    return SyncResult(provider_id(kind, response), mapping_data(kind, response), config, SyncStatus.SYNCED,
                      entity.version, is_active_on_provider=active)


def _note_create_attempt(kind: EntityKind, entity_id: int) -> None:
    """Committed before the create request; its presence tells the next attempt to look for the object."""
    attempt = SyncResult(None, {}, {"last_operation": "create_attempted"}, SyncStatus.PENDING, 0)
    with UnitOfWork(EVERYTHING) as uow:
        uow.provider_mappings.upsert_sync_result(kind, entity_id, attempt, scope=EVERYTHING)
        uow.commit()


def _record_failure(kind: EntityKind, entity_id: int, error: str, *, final: bool) -> None:
    """Mark the mapping failed; a final failure (retrying cannot help) is also an event, in the same transaction."""
    try:
        with UnitOfWork(EVERYTHING) as uow:
            mapping = uow.provider_mappings.mark_failed(kind, entity_id, error, scope=EVERYTHING)
            if mapping is not None and final:
                uow.outbox.add(DomainEvent(
                    "provider_mapping.sync_failed", kind.mapping_type, str(mapping.mapping_id), mapping.organization_id,
                    payload={"mapping_id": mapping.mapping_id, "entity_type": kind.value, **audit_fields(mapping),
                             "sync_error": sync_error_text(error)}))
            uow.commit()
    except Exception:  # recording is best effort; the failure itself still propagates
        log.exception("could not record the failed sync of %s %s", kind.value, entity_id)


def _entity_id(kind: EntityKind, entity: Any) -> int:
    return int(getattr(entity, f"{kind.value}_id"))


def _labels(item: dict[str, Any]) -> list[str]:
    """Labels sit at the top of a search row, or under relationship.labels.entries."""
    relationship: dict[str, Any] = item.get("relationship") or {}
    labels = item.get("labels") or (relationship.get("labels") or {}).get("entries") or []
    return [str(label) for label in labels]


@dataclass(frozen=True)
class _Ops:
    create: Any
    get: Any
    update: Any
    search: Any


_OPS = {
    EntityKind.ADVERTISER: _Ops(
        lambda c, p: c.create_advertiser(p, notification=False), lambda c, i, r: c.get_advertiser(i, r),
        lambda c, i, p: c.update_advertiser(i, p),
        lambda c, f: c.search_advertisers(filters=f).get("advertisers", [])),
    EntityKind.AFFILIATE: _Ops(
        lambda c, p: c.create_affiliate(p, notification=False), lambda c, i, r: c.get_affiliate(i, r),
        lambda c, i, p: c.update_affiliate(i, p),
        lambda c, f: c.search_affiliates(filters=f).get("affiliates", [])),
    EntityKind.CAMPAIGN: _Ops(
        lambda c, p: c.create_offer(p), lambda c, i, r: c.get_offer(i, r), lambda c, i, p: c.update_offer(i, p),
        lambda c, f: c.search_offers(filters=f).get("offers", [])),
}


def generate_tracking_url(tracking_link_id: int, *, everflow: Everflow | None = None) -> str | None:
    """Generate a link's URL through Everflow (syncing its offer and affiliate first when needed) and
    store it with its QR code; None when the link is archived or changed meanwhile (a newer event follows)."""
    everflow = everflow or Everflow.configured()
    with UnitOfWork(EVERYTHING) as uow:
        link = uow.tracking_links.get(tracking_link_id, EVERYTHING)
    if link is None or link.status == "archived":
        return None
    request = {
        "network_offer_id": network_id(EntityKind.CAMPAIGN, link.campaign_id, everflow),
        "network_affiliate_id": network_id(EntityKind.AFFILIATE, link.affiliate_id, everflow),
        "network_tracking_domain_id": everflow.defaults.tracking_domain_id,
        "is_encrypt_parameters": link.is_encrypt_parameters, "is_redirect_link": link.is_redirect_link,
        **{name: value for name, value in asdict(link.parameters).items() if value is not None},
    }
    try:
        url = everflow.client.generate_tracking_link(request)
    except EverflowError as exc:
        if exc.transient:
            raise
        raise SyncFailed(f"Everflow refused the tracking link {tracking_link_id}: {exc.message}") from exc
    try:
        set_tracking_url(tracking_link_id, url, uow=UnitOfWork(EVERYTHING), actor=SYSTEM, parameters=link.parameters)
    except Conflict:
        return None  # its parameters changed after the request: the update's own event regenerates it
    _record_link_mapping(tracking_link_id, request, url, link.version)
    return url


def _record_link_mapping(tracking_link_id: int, request: dict[str, Any], url: str, version: int) -> None:
    data = {**request, "generated_url": url}
    with UnitOfWork(EVERYTHING) as uow:
        uow.provider_mappings.upsert_sync_result(
            EntityKind.TRACKING_LINK, tracking_link_id,
            SyncResult(None, data, {}, SyncStatus.SYNCED, version), scope=EVERYTHING)
        uow.commit()
