"""Intelligence data use cases: read records, autocomplete domains, search publishers, write records.

The data is global (no organization owns it): reads run in the caller's own scope, which the tables'
read policy does not narrow; writes are for Admin (whose scope crosses tenants, as the tables' write
policy requires) and are audited without an organization.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import NotFound
from shared.domain.intelligence import (
    Criteria,
    IntelRecord,
    Kind,
    Suggestion,
    Written,
    advertiser_columns,
    advertiser_document,
    normalize_domain,
    publisher_columns,
    publisher_document,
)
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor


def get_advertiser(record_id: int, *, uow: UnitOfWork) -> IntelRecord:
    with uow:
        record = uow.intelligence.advertiser(record_id)
    return _found(record, "advertiser")


def get_publisher(record_id: int, *, uow: UnitOfWork) -> IntelRecord:
    with uow:
        record = uow.intelligence.publisher(record_id)
    return _found(record, "publisher")


def get_publisher_by_domain(domain: str, *, uow: UnitOfWork) -> IntelRecord:
    with uow:
        record = uow.intelligence.publisher_by_domain(normalize_domain(domain))
    return _found(record, "publisher")


def autocomplete(text: str, kind: Kind, limit: int, *, uow: UnitOfWork) -> list[Suggestion]:
    with uow:
        return uow.intelligence.autocomplete(text, kind, limit)


def search_publishers(criteria: Criteria, page: PageRequest, *, uow: UnitOfWork) -> PageResult[IntelRecord]:
    with uow:
        return uow.intelligence.search(criteria, page)


def save_advertiser(domain: str, document: dict[str, Any], *, uow: UnitOfWork, actor: Actor) -> Written:
    """Insert the domain's record, or replace it whole; either is audited with what changed."""
    with uow:
        written = uow.intelligence.save_advertiser(domain, advertiser_columns(document))
        _audit(uow, actor, "analytics_advertiser", written, advertiser_document)
        uow.commit()
    return written


def save_publisher(domain: str, document: dict[str, Any], *, uow: UnitOfWork, actor: Actor) -> Written:
    with uow:
        written = uow.intelligence.save_publisher(domain, publisher_columns(document))
        _audit(uow, actor, "analytics_publisher", written, publisher_document)
        uow.commit()
    return written


def _audit(uow: UnitOfWork, actor: Actor, entity: str, written: Written,
           render: Callable[[IntelRecord], dict[str, Any]]) -> None:
    before = render(written.before) if written.before else {}
    after = render(written.record)
    # Documents can be large (thousands of partner domains): the audit names the keys that changed.
    changed = sorted(diff(before, after))
    verb = "create" if written.created else "replace"
    uow.audit.record(actor, AuditEntry(f"{entity}.{verb}", entity, str(written.record.id), None,
                                       {"domain": written.record.domain, "changed_keys": changed}))


def _found(record: IntelRecord | None, kind: str) -> IntelRecord:
    if record is None:
        raise NotFound(f"No such {kind} record.")
    return record
