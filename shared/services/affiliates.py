"""Affiliate use cases: create, read, list, update, archive; each write leaves an audit entry and an event."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from shared.db.uow import UnitOfWork
from shared.domain.affiliates import (
    Affiliate,
    AffiliateFilter,
    AffiliateStatus,
    affiliate_problems,
    check_editable,
    check_owner,
)
from shared.domain.audit import AuditEntry, diff
from shared.domain.billing import require_valid
from shared.domain.errors import NotFound
from shared.domain.events import DomainEvent
from shared.domain.organizations import Organization
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.schemas.affiliates import AffiliateCreate, AffiliateUpdate

BOOKKEEPING = ("affiliate_id", "organization_id", "version", "created_at", "updated_at")
AUDIT_VERB = {"created": "create", "updated": "update", "archived": "archive"}


def create_affiliate(cmd: AffiliateCreate, *, uow: UnitOfWork, actor: Actor) -> Affiliate:
    """Create an affiliate in an affiliate organization the caller may act for."""
    values = cmd.values(only_given=False)
    require_valid(affiliate_problems(values["payment_details"], values["billing_info"]))
    with uow:
        check_owner(_organization(uow, cmd.organization_id))
        affiliate = uow.affiliates.add(cmd.organization_id, values)
        _record(uow, actor, "created", None, affiliate)
        uow.commit()
    return affiliate


def get_affiliate(affiliate_id: int, *, uow: UnitOfWork, actor: Actor) -> Affiliate:
    with uow:
        return _visible(uow, affiliate_id)


def list_affiliates(organization_id: int, page: PageRequest, where: AffiliateFilter, *, uow: UnitOfWork,
                     actor: Actor) -> PageResult[Affiliate]:
    """The organization's affiliates, filtered and sorted in SQL before paging."""
    with uow:
        _organization(uow, organization_id)
        return uow.affiliates.list(uow.scope, organization_id, page, where)


def update_affiliate(affiliate_id: int, cmd: AffiliateUpdate, *, uow: UnitOfWork, actor: Actor) -> Affiliate:
    """Partial update; an archived affiliate is not changed (409); an update that changes nothing writes nothing."""
    changes = cmd.values(only_given=True)
    require_valid(affiliate_problems(changes.get("payment_details"), changes.get("billing_info")))
    with uow:
        current = _visible(uow, affiliate_id, for_update=True)
        check_editable(current)
        if all(getattr(current, name) == value for name, value in changes.items()):
            return current
        affiliate = uow.affiliates.update(affiliate_id, changes)
        _record(uow, actor, "updated", current, affiliate)
        uow.commit()
    return affiliate


def archive_affiliate(affiliate_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """Archive instead of deleting (tracking links and history point at it); archiving twice changes nothing."""
    with uow:
        current = _visible(uow, affiliate_id, for_update=True)
        if current.status is AffiliateStatus.ARCHIVED:
            return
        affiliate = uow.affiliates.archive(affiliate_id)
        _record(uow, actor, "archived", current, affiliate)
        uow.commit()


def _organization(uow: UnitOfWork, organization_id: int) -> Organization:
    organization = uow.organizations.get(organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    return organization


def _visible(uow: UnitOfWork, affiliate_id: int, *, for_update: bool = False) -> Affiliate:
    affiliate = uow.affiliates.get(affiliate_id, uow.scope, for_update=for_update)
    if affiliate is None:
        raise NotFound(f"Affiliate {affiliate_id} was not found.")
    return affiliate


def _record(uow: UnitOfWork, actor: Actor, verb: str, before: Affiliate | None, after: Affiliate) -> None:
    """The audit entry and the domain event of a write, in its transaction."""
    entity_id, org_id = str(after.affiliate_id), after.organization_id
    uow.audit.record(actor, AuditEntry(f"affiliate.{AUDIT_VERB[verb]}", "affiliate", entity_id, org_id,
                                       diff(_fields(before), _fields(after))))
    uow.outbox.add(DomainEvent(f"affiliate.{verb}", "affiliate", entity_id, org_id, version=after.version,
                               payload=payload(after)))


def payload(affiliate: Affiliate) -> dict[str, Any]:
    """The affiliate as JSON values (money in cents), as its events carry it."""
    plain: dict[str, Any] = _json().dump_python(affiliate, mode="json")
    return plain


def _fields(affiliate: Affiliate | None) -> dict[str, Any]:
    if affiliate is None:
        return {}
    return {k: v for k, v in payload(affiliate).items() if k not in BOOKKEEPING}


@functools.cache
def _json() -> TypeAdapter[Affiliate]:
    return TypeAdapter(Affiliate)
