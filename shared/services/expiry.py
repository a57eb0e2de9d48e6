"""The expiry job: invitations and agency delegations past their `expires_at` become `expired`.

Reads already treat them as expired (effective status); the job makes it true in storage, so
lists, filters and the one-live-delegation-per-pair rule see it too. Each batch is one system-scoped
transaction that claims its rows with SKIP LOCKED and changes only rows that are still due, so the
job is idempotent and two runs at once expire every row exactly once, each change audited as system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.events import DomainEvent
from shared.domain.invitations import InvitationStatus, invitation_fields
from shared.domain.principal import SYSTEM, TenantScope
from shared.services.agency_delegations import record as record_delegation

BATCH_SIZE = 500
MAX_BATCHES = 200  # a bound per run (100,000 rows per kind); the next run continues


@dataclass(frozen=True)
class ExpiryReport:
    invitations: int
    delegations: int


def expire_lapsed(*, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> ExpiryReport:
    """Expire every due invitation and delegation, in batches; how many of each changed."""
    return ExpiryReport(_drain(_expire_invitations, batch_size, max_batches),
                        _drain(_expire_delegations, batch_size, max_batches))


def _drain(expire_batch: Callable[[UnitOfWork, int], int], batch_size: int, max_batches: int) -> int:
    total = 0
    for _ in range(max_batches):
        with UnitOfWork(TenantScope.everything()) as uow:
            changed = expire_batch(uow, batch_size)
            uow.commit()
        total += changed
        if changed < batch_size:
            break
    return total


def _expire_invitations(uow: UnitOfWork, limit: int) -> int:
    expired = uow.invitations.expire_due(limit)
    for invitation in expired:
        after = invitation_fields(invitation)
        before = {**after, "status": InvitationStatus.ACTIVE.value}
        uow.audit.record(SYSTEM, AuditEntry("invitation.expire", "invitation", str(invitation.invitation_id),
                                            invitation.advertiser_org_id, diff(before, after)))
        uow.outbox.add(DomainEvent("invitation.expired", "invitation", str(invitation.invitation_id),
                                   invitation.advertiser_org_id, payload=after))
    return len(expired)


def _expire_delegations(uow: UnitOfWork, limit: int) -> int:
    expired = uow.agency_delegations.expire_due(limit=limit)
    for before, after in expired:
        record_delegation(uow, SYSTEM, "expire", before, after)
    return len(expired)
