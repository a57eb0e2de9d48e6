"""Re-queue every entity whose Everflow object is missing, failed, behind its version, or drifted."""

from __future__ import annotations

import logging

from shared.db.uow import UnitOfWork
from shared.domain.errors import ServiceUnavailable
from shared.domain.events import DomainEvent
from shared.domain.principal import SYSTEM, TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.services.everflow_actions import compare_with_everflow
from shared.services.everflow_sync import SYNCED_KINDS, Everflow

log = logging.getLogger(__name__)

BATCH = 500


def requeue_out_of_date(*, batch: int = BATCH) -> int:
    """Write a `<kind>.resync_requested` event per stale entity (the sync picks them up); return the count."""
    queued = 0
    for kind in SYNCED_KINDS:
        after = 0
        while ids := _page(kind, after, batch):
            with UnitOfWork(TenantScope.everything()) as uow:
                for entity_id in ids:
                    uow.outbox.add(DomainEvent(f"{kind.value}.resync_requested", kind.value, str(entity_id), None))
                uow.commit()
            queued += len(ids)
            after = ids[-1]
    return queued


def requeue_links_without_url(*, batch: int = BATCH) -> int:
    """Write a `tracking_link.resync_requested` event per live link with no URL yet, e.g. one whose
    generation was dead-lettered while Everflow was down; return the count."""
    queued = after = 0
    while True:
        with UnitOfWork(TenantScope.everything()) as uow:
            ids = uow.tracking_links.without_url(after_id=after, limit=batch)
            for link_id in ids:
                uow.outbox.add(DomainEvent("tracking_link.resync_requested", "tracking_link", str(link_id), None))
            uow.commit()
        if not ids:
            return queued
        queued += len(ids)
        after = ids[-1]


def _page(kind: EntityKind, after: int, batch: int) -> list[int]:
    with UnitOfWork(TenantScope.everything()) as uow:
        return uow.provider_mappings.out_of_date(kind, after_id=after, limit=batch)


def requeue_drifted(*, batch: int = BATCH, everflow: Everflow | None = None) -> int:
    """Compare every synced entity with its Everflow object; re-queue those that differ (changed there)."""
    everflow = everflow or Everflow.configured()
    queued = 0
    for kind in SYNCED_KINDS:
        after = 0
        while ids := _synced_page(kind, after, batch):
            drifted = [entity_id for entity_id in ids if _drifted(kind, entity_id, everflow)]
            _requeue(kind, drifted)
            queued += len(drifted)
            after = ids[-1]
    return queued


def _drifted(kind: EntityKind, entity_id: int, everflow: Everflow) -> bool:
    try:
        findings = compare_with_everflow(kind, entity_id, uow=UnitOfWork(TenantScope.everything()), actor=SYSTEM,
                                         everflow=everflow)
    except ServiceUnavailable:  # Everflow is struggling: tomorrow's run checks again
        log.warning("drift check of %s %s skipped: Everflow unavailable", kind.value, entity_id)
        return False
    return bool(findings)


def _requeue(kind: EntityKind, ids: list[int]) -> None:
    if not ids:
        return
    with UnitOfWork(TenantScope.everything()) as uow:
        for entity_id in ids:
            uow.provider_mappings.mark_pending(kind, entity_id, scope=TenantScope.everything())
            uow.outbox.add(DomainEvent(f"{kind.value}.resync_requested", kind.value, str(entity_id), None))
        uow.commit()


def _synced_page(kind: EntityKind, after: int, batch: int) -> list[int]:
    with UnitOfWork(TenantScope.everything()) as uow:
        return uow.provider_mappings.synced(kind, after_id=after, limit=batch)
