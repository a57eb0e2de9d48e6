"""Re-queue every entity whose Everflow object is missing, failed or behind its version."""

from __future__ import annotations

from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.services.everflow_sync import SYNCED_KINDS

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


def _page(kind: EntityKind, after: int, batch: int) -> list[int]:
    with UnitOfWork(TenantScope.everything()) as uow:
        return uow.provider_mappings.out_of_date(kind, after_id=after, limit=batch)
