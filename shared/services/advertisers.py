"""Advertiser use cases: create, read, list, update, archive; each write leaves an audit entry and an event."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from shared.db.uow import UnitOfWork
from shared.domain.advertisers import (
    Advertiser,
    AdvertiserFilter,
    AdvertiserStatus,
    advertiser_problems,
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
from shared.schemas.advertisers import AdvertiserCreate, AdvertiserUpdate

BOOKKEEPING = ("advertiser_id", "organization_id", "version", "created_at", "updated_at")
AUDIT_VERB = {"created": "create", "updated": "update", "archived": "archive"}


def create_advertiser(cmd: AdvertiserCreate, *, uow: UnitOfWork, actor: Actor) -> Advertiser:
    """Create an advertiser in an advertiser organization the caller may act for."""
    values = cmd.values(only_given=False)
    require_valid(advertiser_problems(values["billing_details"]))
    with uow:
        check_owner(_organization(uow, cmd.organization_id))
        advertiser = uow.advertisers.add(cmd.organization_id, values)
        _record(uow, actor, "created", None, advertiser)
        uow.commit()
    return advertiser


def get_advertiser(advertiser_id: int, *, uow: UnitOfWork, actor: Actor) -> Advertiser:
    with uow:
        return _visible(uow, advertiser_id)


def list_advertisers(organization_id: int, page: PageRequest, where: AdvertiserFilter, *, uow: UnitOfWork,
                     actor: Actor) -> PageResult[Advertiser]:
    """The organization's advertisers, filtered and sorted in SQL before paging."""
    with uow:
        _organization(uow, organization_id)
        return uow.advertisers.list(uow.scope, organization_id, page, where)


def update_advertiser(advertiser_id: int, cmd: AdvertiserUpdate, *, uow: UnitOfWork, actor: Actor) -> Advertiser:
    """Partial update; an archived advertiser is not changed (409); an update that changes nothing writes nothing."""
    changes = cmd.values(only_given=True)
    require_valid(advertiser_problems(changes.get("billing_details")))
    with uow:
        current = _visible(uow, advertiser_id, for_update=True)
        check_editable(current)
        if all(getattr(current, name) == value for name, value in changes.items()):
            return current
        advertiser = uow.advertisers.update(advertiser_id, changes)
        _record(uow, actor, "updated", current, advertiser)
        uow.commit()
    return advertiser


def archive_advertiser(advertiser_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """Archive instead of deleting (campaigns and history point at it); archiving twice changes nothing."""
    with uow:
        current = _visible(uow, advertiser_id, for_update=True)
        if current.status is AdvertiserStatus.ARCHIVED:
            return
        advertiser = uow.advertisers.archive(advertiser_id)
        _record(uow, actor, "archived", current, advertiser)
        uow.commit()


def _organization(uow: UnitOfWork, organization_id: int) -> Organization:
    organization = uow.organizations.get(organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    return organization


def _visible(uow: UnitOfWork, advertiser_id: int, *, for_update: bool = False) -> Advertiser:
    advertiser = uow.advertisers.get(advertiser_id, uow.scope, for_update=for_update)
    if advertiser is None:
        raise NotFound(f"Advertiser {advertiser_id} was not found.")
    return advertiser


def _record(uow: UnitOfWork, actor: Actor, verb: str, before: Advertiser | None, after: Advertiser) -> None:
    """The audit entry and the domain event of a write, in its transaction."""
    entity_id, org_id = str(after.advertiser_id), after.organization_id
    uow.audit.record(actor, AuditEntry(f"advertiser.{AUDIT_VERB[verb]}", "advertiser", entity_id, org_id,
                                       diff(_fields(before), _fields(after))))
    uow.outbox.add(DomainEvent(f"advertiser.{verb}", "advertiser", entity_id, org_id, version=after.version,
                               payload=payload(after)))


def payload(advertiser: Advertiser) -> dict[str, Any]:
    """The advertiser as JSON values (money in cents), as its events carry it."""
    plain: dict[str, Any] = _json().dump_python(advertiser, mode="json")
    return plain


def _fields(advertiser: Advertiser | None) -> dict[str, Any]:
    if advertiser is None:
        return {}
    return {k: v for k, v in payload(advertiser).items() if k not in BOOKKEEPING}


@functools.cache
def _json() -> TypeAdapter[Advertiser]:
    return TypeAdapter(Advertiser)
