"""Reading the audit log: your own organization's entries, or everything for Admin and PlatformOwner."""

from __future__ import annotations

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditRecord
from shared.domain.paging import PageRequest, PageResult
from shared.repositories.audit import AuditFilter


def list_audit_log(where: AuditFilter, page: PageRequest, *, uow: UnitOfWork) -> PageResult[AuditRecord]:
    with uow:
        return uow.audit.list(uow.scope, page, where)
