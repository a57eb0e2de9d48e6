"""Agency delegation use cases: grant, accept, suspend, reactivate, end, change, list and check.

The counterpart organization is another tenant, so its type (on creation) and the summaries of
`with_details` are read through `directory`, a system-scoped unit of work the function module builds
for exactly these reads; everything else runs in the caller's scope, where row-level security shows a
delegation to both of its sides and to no one else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.db.session import sqlstate
from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import (
    Delegation,
    DelegationFilter,
    DelegationStatus,
    NewDelegation,
    Side,
    Step,
    check_expiry,
    delegation_fields,
    next_status,
)
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import OrganizationSummary, Window
from shared.domain.principal import SYSTEM, Actor
from shared.schemas.agency_delegations import DelegationCreate, ExpirationUpdate, PermissionCheck, PermissionsUpdate

EVENT_VERBS = {
    "create": "created", "accept": "accepted", "reject": "rejected", "suspend": "suspended",
    "reactivate": "reactivated", "revoke": "revoked", "permissions": "permissions_changed",
    "expiration": "expiration_changed", "expire": "expired",
}
SIDE_TYPES = {"agency_org_id": OrganizationType.AGENCY, "advertiser_org_id": OrganizationType.ADVERTISER}


@dataclass(frozen=True)
class DelegationPage:
    items: list[Delegation]
    total: int
    organizations: dict[int, OrganizationSummary] | None = None  # loaded for `with_details`


@dataclass(frozen=True)
class CheckResult:
    results: dict[str, bool]
    status: DelegationStatus | None
    is_expired: bool


def now() -> datetime:
    return datetime.now(UTC)


def create_delegation(cmd: DelegationCreate, *, uow: UnitOfWork, directory: UnitOfWork,
                      actor: Actor) -> Delegation:
    """A pending grant from the caller's advertiser organization to an agency organization."""
    principal = actor.user
    if not principal.role.crosses_tenants and principal.organization_id != cmd.advertiser_org_id:
        raise Forbidden("Only members of the advertiser organization can delegate its access.")
    check_expiry(cmd.expires_at, now())
    with directory:
        found = directory.associations.organizations([cmd.agency_org_id, cmd.advertiser_org_id])
    _check_sides(cmd, found)
    new = NewDelegation(cmd.agency_org_id, cmd.advertiser_org_id, cmd.permissions, principal.user_id,
                        cmd.message, cmd.expires_at)
    with uow:
        for before, lapsed in uow.agency_delegations.expire_due(limit=10, agency_org_id=new.agency_org_id,
                                                                advertiser_org_id=new.advertiser_org_id):
            record(uow, SYSTEM, "expire", before, lapsed)  # expired in passing: the job would have done it
        if uow.agency_delegations.live_between(new.agency_org_id, new.advertiser_org_id):
            raise _already_live()
        delegation = _add(uow, new)
        record(uow, actor, "create", None, delegation)
        uow.commit()
    return delegation


def get_delegation(delegation_id: int, *, uow: UnitOfWork, directory: UnitOfWork | None,
                   actor: Actor) -> DelegationPage:
    """One delegation, for either side only; `directory` given loads both organizations' summaries."""
    with uow:
        delegation = _visible(uow, delegation_id)
    return DelegationPage([delegation], 1, _summaries(directory, [delegation]))


def list_delegations(where: DelegationFilter, window: Window, *, uow: UnitOfWork, directory: UnitOfWork | None,
                     actor: Actor) -> DelegationPage:
    """Delegations in which the caller's organization is a side (all of them across tenants)."""
    with uow:
        items, total = uow.agency_delegations.find(uow.scope, where, window)
    return DelegationPage(items, total, _summaries(directory, items))


def active_delegations(organization_id: int, side: Side, window: Window, *, uow: UnitOfWork,
                       actor: Actor) -> DelegationPage:
    """The active, unexpired delegations of one agency (or advertiser) organization the caller may see."""
    agency, advertiser = (organization_id, None) if side is Side.AGENCY else (None, organization_id)
    where = DelegationFilter(agency, advertiser, DelegationStatus.ACTIVE)
    with uow:
        if uow.organizations.get(organization_id, uow.scope) is None:
            raise NotFound(f"Organization {organization_id} was not found.")
        items, total = uow.agency_delegations.find(uow.scope, where, window)
    return DelegationPage(items, total)


def take_step(delegation_id: int, step: Step, *, uow: UnitOfWork, actor: Actor) -> Delegation:
    """accept, reject, suspend, reactivate or revoke: each by its side, each from its statuses."""
    with uow:
        current = _visible(uow, delegation_id, for_update=True)
        status = next_status(current, step, _acting_side(current, actor), now())
        changes: dict[str, Any] = {"status": status}
        if step is Step.ACCEPT:
            changes["accepted_by_user_id"] = actor.user.user_id
        delegation = uow.agency_delegations.update(delegation_id, changes)
        record(uow, actor, step.value, current, delegation)
        uow.commit()
    return delegation


def change_permissions(delegation_id: int, cmd: PermissionsUpdate, *, uow: UnitOfWork, actor: Actor) -> Delegation:
    """Replace the permission set of a live delegation (the advertiser's choice); the same set writes nothing."""
    return _change(delegation_id, Step.PERMISSIONS, {"permissions": cmd.permissions}, uow=uow, actor=actor)


def change_expiration(delegation_id: int, cmd: ExpirationUpdate, *, uow: UnitOfWork, actor: Actor) -> Delegation:
    """Set a future expiry, or clear it, on a live delegation that has not expired."""
    check_expiry(cmd.expires_at, now())
    return _change(delegation_id, Step.EXPIRATION, {"expires_at": cmd.expires_at}, uow=uow, actor=actor)


def check_permissions(cmd: PermissionCheck, *, uow: UnitOfWork, actor: Actor) -> CheckResult:
    """Which of the permissions the agency may use for the advertiser now (sides and administrators only)."""
    principal = actor.user
    if not principal.role.crosses_tenants and principal.organization_id not in (cmd.agency_org_id,
                                                                                cmd.advertiser_org_id):
        raise Forbidden("You can check only delegations of your own organization.")
    with uow:
        latest = uow.agency_delegations.latest_between(cmd.agency_org_id, cmd.advertiser_org_id)
    moment = now()
    results = {p.value: bool(latest and latest.grants(p, moment)) for p in cmd.permissions}
    status = latest.effective_status(moment) if latest else None
    return CheckResult(results, status, status is DelegationStatus.EXPIRED)


def record(uow: UnitOfWork, actor: Actor, action: str, before: Delegation | None, after: Delegation) -> None:
    """Audit entry and event of one change, filed under the organization of the side that acted."""
    changes = diff(delegation_fields(before) if before else {}, delegation_fields(after))
    side = _acting_side(after, actor) if actor.principal else None
    organization_id = after.agency_org_id if side is Side.AGENCY else after.advertiser_org_id
    uow.audit.record(actor, AuditEntry(f"agency_delegation.{action}", "agency_delegation",
                                       str(after.delegation_id), organization_id, changes))
    uow.outbox.add(DomainEvent(f"agency_delegation.{EVENT_VERBS[action]}", "agency_delegation",
                               str(after.delegation_id), after.advertiser_org_id,
                               payload={**delegation_fields(after), "delegation_id": after.delegation_id}))


def _change(delegation_id: int, step: Step, changes: dict[str, Any], *, uow: UnitOfWork,
            actor: Actor) -> Delegation:
    with uow:
        current = _visible(uow, delegation_id, for_update=True)
        next_status(current, step, _acting_side(current, actor), now())
        changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changes:
            return current
        delegation = uow.agency_delegations.update(delegation_id, changes)
        record(uow, actor, step.value, current, delegation)
        uow.commit()
    return delegation


def _add(uow: UnitOfWork, new: NewDelegation) -> Delegation:
    try:
        return uow.agency_delegations.add(new)
    except Exception as exc:
        if sqlstate(exc) == "23505":  # a concurrent grant for the same pair won the partial unique index
            raise _already_live() from None
        raise


def _already_live() -> Conflict:
    return Conflict("A pending, active or suspended delegation already exists between these organizations;"
                    " revoke it first.")


def _check_sides(cmd: DelegationCreate, found: dict[int, OrganizationSummary]) -> None:
    """422 unless the agency side is an agency organization and the advertiser side an advertiser one."""
    errors = []
    if cmd.agency_org_id == cmd.advertiser_org_id:
        errors.append(_detail("agency_org_id", "must differ from advertiser_org_id"))
    for field, kind in SIDE_TYPES.items():
        organization = found.get(getattr(cmd, field))
        if organization is None:
            errors.append(_detail(field, "organization not found"))
        elif organization.type is not kind:
            errors.append(_detail(field, f"must be an {kind.value} organization"))
    if errors:
        raise ValidationFailed("The organizations cannot form a delegation.", details=errors)


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "message": message, "type": "value_error"}


def _acting_side(delegation: Delegation, actor: Actor) -> Side | None:
    """The caller's side (None for platform administrators); someone on neither side never sees the row."""
    principal = actor.user
    if principal.role.crosses_tenants:
        return None
    side = delegation.side_of(principal.organization_id)
    if side is None:
        raise NotFound(f"Agency delegation {delegation.delegation_id} was not found.")
    return side


def _visible(uow: UnitOfWork, delegation_id: int, *, for_update: bool = False) -> Delegation:
    delegation = uow.agency_delegations.get(delegation_id, uow.scope, for_update=for_update)
    if delegation is None:
        raise NotFound(f"Agency delegation {delegation_id} was not found.")
    return delegation


def _summaries(directory: UnitOfWork | None, items: list[Delegation]) -> dict[int, OrganizationSummary] | None:
    if directory is None:
        return None
    ids = {i.agency_org_id for i in items} | {i.advertiser_org_id for i in items}
    if not ids:
        return {}
    with directory:
        return directory.associations.organizations(ids)
