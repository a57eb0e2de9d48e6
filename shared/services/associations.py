"""Partnership use cases: invite, request, decide, change visibility, list, and what each side may see.

The counterpart organization of a partnership is another tenant, so its name and type (and, for the
visible-* lists, its affiliates or campaigns) are read through `directory`, a system-scoped unit of
work the function module builds for exactly these reads; everything else runs in the caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import (
    CREATOR,
    Association,
    AssociationFilter,
    AssociationStatus,
    AssociationType,
    Decision,
    NewAssociation,
    OrganizationSummary,
    Side,
    VisibleAffiliate,
    VisibleCampaign,
    Window,
    association_fields,
    check_known_ids,
    check_owned_fields,
    check_sides,
    next_status,
)
from shared.domain.principal import Actor
from shared.schemas.partnerships import AssociationCreate, VisibilityUpdate

EVENT_VERBS = {
    "create": "created", "approve": "approved", "reject": "rejected", "suspend": "suspended",
    "reactivate": "reactivated", "visibility": "visibility_changed",
}
DEFAULTS: dict[str, Any] = {"visible_affiliate_ids": None, "visible_campaign_ids": None,
                            "all_affiliates_visible": True, "all_campaigns_visible": True}


@dataclass(frozen=True)
class AssociationPage:
    items: list[Association]
    total: int
    organizations: dict[int, OrganizationSummary] | None = None  # loaded for `with_details`


def create_association(cmd: AssociationCreate, kind: AssociationType, *, uow: UnitOfWork, directory: UnitOfWork,
                       actor: Actor) -> Association:
    """An invitation (advertiser side asks) or a request (affiliate side asks), pending the counterpart."""
    new = _checked_request(cmd, kind, directory=directory, actor=actor)
    with uow:
        check_visible_ids(uow, new.advertiser_org_id, new.affiliate_org_id, _visibility(cmd))
        if uow.associations.live_between(new.advertiser_org_id, new.affiliate_org_id):
            raise Conflict("Association already exists between these organizations.")
        association = uow.associations.add(new)
        record(uow, actor, "create", None, association)
        uow.commit()
    return association


def _checked_request(cmd: AssociationCreate, kind: AssociationType, *, directory: UnitOfWork,
                     actor: Actor) -> NewAssociation:
    """403 unless the caller is on the asking side, 422 for fields or organizations that do not fit."""
    acting_side = _creating_side(cmd, CREATOR[kind], actor)
    if cmd.association_type not in (None, kind):
        raise ValidationFailed(f"This route creates an association of type {kind.value}.", details=[{
            "field": "association_type", "location": "body", "message": f"must be {kind.value}",
            "type": "value_error"}])
    visibility = _visibility(cmd)
    check_owned_fields(acting_side, {k for k, v in visibility.items() if v != DEFAULTS[k]}, creating=True)
    with directory:
        found = directory.associations.organizations([cmd.advertiser_org_id, cmd.affiliate_org_id])
    check_sides(_type(found, cmd.advertiser_org_id), _type(found, cmd.affiliate_org_id),
                same_org=cmd.advertiser_org_id == cmd.affiliate_org_id)
    return NewAssociation(cmd.advertiser_org_id, cmd.affiliate_org_id, kind, actor.user.user_id, cmd.message,
                          **visibility)


def _visibility(cmd: AssociationCreate) -> dict[str, Any]:
    return {name: getattr(cmd, name) for name in DEFAULTS}


def get_association(association_id: int, *, uow: UnitOfWork, directory: UnitOfWork | None,
                    actor: Actor) -> AssociationPage:
    """One association, for either side only; `directory` given loads both organizations' summaries."""
    with uow:
        association = _visible(uow, association_id)
    return AssociationPage([association], 1, _summaries(directory, [association]))


def list_associations(where: AssociationFilter, window: Window, *, uow: UnitOfWork, directory: UnitOfWork | None,
                      actor: Actor) -> AssociationPage:
    """Associations in which the caller's organization is a side (all of them across tenants)."""
    with uow:
        if where.organization_id is not None and uow.organizations.get(where.organization_id, uow.scope) is None:
            raise NotFound(f"Organization {where.organization_id} was not found.")
        items, total = uow.associations.find(uow.scope, where, window)
    return AssociationPage(items, total, _summaries(directory, items))


def decide_association(association_id: int, decision: Decision, *, uow: UnitOfWork, actor: Actor) -> Association:
    """Approve or reject (the counterpart of whoever asked), suspend or reactivate (either side)."""
    with uow:
        current = _visible(uow, association_id, for_update=True)
        status = next_status(current, decision, _acting_side(current, actor))
        stamp = decision in (Decision.APPROVE, Decision.REJECT)
        association = uow.associations.set_status(association_id, status, actor.user.user_id, stamp_approval=stamp)
        record(uow, actor, decision.value, current, association)
        uow.commit()
    return association


def change_visibility(association_id: int, cmd: VisibilityUpdate, *, uow: UnitOfWork, actor: Actor) -> Association:
    """Each side changes the visibility of what it owns; the status only moves through the decision routes."""
    changes = cmd.model_dump(exclude_unset=True)
    with uow:
        current = _visible(uow, association_id, for_update=True)
        if current.status is AssociationStatus.REJECTED:
            raise Conflict("A rejected association cannot change; apply again instead.")
        changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        check_owned_fields(_acting_side(current, actor), set(changes), creating=False)
        if not changes:
            return current
        check_visible_ids(uow, current.advertiser_org_id, current.affiliate_org_id, changes)
        association = uow.associations.set_visibility(association_id, changes)
        record(uow, actor, "visibility", current, association)
        uow.commit()
    return association


def visible_affiliates(organization_id: int, affiliate_org_id: int | None, window: Window, *, uow: UnitOfWork,
                       actor: Actor) -> tuple[list[VisibleAffiliate], int]:
    """What an advertiser organization sees of its partners' affiliates (`uow` is system-scoped)."""
    with uow:
        _check_org(uow, actor, organization_id, OrganizationType.ADVERTISER)
        return uow.associations.visible_affiliates(organization_id, affiliate_org_id, window)


def visible_campaigns(organization_id: int, advertiser_org_id: int | None, window: Window, *, uow: UnitOfWork,
                      actor: Actor) -> tuple[list[VisibleCampaign], int]:
    """What an affiliate organization sees of its partners' campaigns (`uow` is system-scoped)."""
    with uow:
        _check_org(uow, actor, organization_id, OrganizationType.AFFILIATE)
        return uow.associations.visible_campaigns(organization_id, advertiser_org_id, window)


def check_visible_ids(uow: UnitOfWork, advertiser_org_id: int, affiliate_org_id: int,
                      values: dict[str, Any]) -> None:
    """422 unless the lists name the affiliate organization's affiliates and the advertiser's campaigns."""
    if values.get("visible_affiliate_ids"):
        known = uow.associations.affiliate_ids_of(affiliate_org_id, values["visible_affiliate_ids"])
        check_known_ids("visible_affiliate_ids", values["visible_affiliate_ids"], known, "affiliates")
    if values.get("visible_campaign_ids"):
        known = uow.associations.campaign_ids_of(advertiser_org_id, values["visible_campaign_ids"])
        check_known_ids("visible_campaign_ids", values["visible_campaign_ids"], known, "campaigns")


def record(uow: UnitOfWork, actor: Actor, verb: str, before: Association | None, after: Association) -> None:
    """The audit entry (in each side's log) and the outbox event of one change."""
    changes = diff(association_fields(before) if before else {}, association_fields(after))
    for organization_id in (after.advertiser_org_id, after.affiliate_org_id):
        uow.audit.record(actor, AuditEntry(f"association.{verb}", "association", str(after.association_id),
                                           organization_id, changes))
    payload = {**association_fields(after), "message": after.message,
               "requested_by_user_id": str(after.requested_by_user_id) if after.requested_by_user_id else None}
    uow.outbox.add(DomainEvent(f"association.{EVENT_VERBS[verb]}", "association", str(after.association_id),
                               after.advertiser_org_id, payload=payload))


def _creating_side(cmd: AssociationCreate, creator: Side, actor: Actor) -> Side | None:
    """403 unless the caller belongs to the asking side; platform administrators act for either (None)."""
    principal = actor.user
    if principal.role.crosses_tenants:
        return None
    own = cmd.advertiser_org_id if creator is Side.ADVERTISER else cmd.affiliate_org_id
    if principal.organization_id != own:
        raise Forbidden(f"Only members of the {creator.value} organization can create this association.")
    return creator


def _acting_side(association: Association, actor: Actor) -> Side | None:
    principal = actor.user
    return None if principal.role.crosses_tenants else association.side_of(principal.organization_id)


def _visible(uow: UnitOfWork, association_id: int, *, for_update: bool = False) -> Association:
    association = uow.associations.get(association_id, uow.scope, for_update=for_update)
    if association is None:
        raise NotFound(f"Association {association_id} was not found.")
    return association


def _check_org(uow: UnitOfWork, actor: Actor, organization_id: int, wanted: OrganizationType) -> None:
    organization = uow.organizations.get(organization_id, actor.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    if organization.type is not wanted:
        raise ValidationFailed(f"Organization {organization_id} is not an {wanted.value} organization.", details=[{
            "field": "organization_id", "location": "path", "message": f"must be an {wanted.value} organization",
            "type": "value_error"}])


def _summaries(directory: UnitOfWork | None, items: list[Association]) -> dict[int, OrganizationSummary] | None:
    if directory is None or not items:
        return None if directory is None else {}
    with directory:
        return directory.associations.organizations(
            [org for a in items for org in (a.advertiser_org_id, a.affiliate_org_id)])


def _type(found: dict[int, OrganizationSummary], organization_id: int) -> OrganizationType | None:
    summary = found.get(organization_id)
    return summary.type if summary else None
