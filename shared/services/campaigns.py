"""Campaign use cases: create, read, list, update, change status, archive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import Permission, require_delegated
from shared.domain.audit import AuditEntry, diff
from shared.domain.campaign_terms import TERMS_FIELDS, problem, terms_changes
from shared.domain.campaigns import (
    AdvertiserRef,
    Campaign,
    CampaignSpec,
    CampaignStatus,
    audited_fields,
    check_campaign,
    check_editable,
    check_initial_status,
    check_transition,
    event_payload,
)
from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.organizations import OrganizationStatus
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.schemas.campaigns import CampaignCreate, CampaignListQuery, CampaignUpdate

OWNERS = ("organization_id", "advertiser_id")


def create_campaign(cmd: CampaignCreate, *, uow: UnitOfWork, actor: Actor) -> Campaign:
    """A campaign of an advertiser of the same organization; it starts as draft (default) or active."""
    values = cmd.values()
    spec = CampaignSpec(**{k: v for k, v in values.items() if k not in TERMS_FIELDS}, **terms_changes(values, None))
    check_initial_status(spec.status)
    check_campaign(spec)
    with uow:
        _check_organization_open(uow, spec.organization_id)
        _check_advertiser_fits(_advertiser(uow, spec.advertiser_id), spec.organization_id)
        campaign = uow.campaigns.add(spec)
        _record(uow, actor, None, campaign)
        uow.commit()
    return campaign


def get_campaign(campaign_id: int, *, uow: UnitOfWork, actor: Actor) -> Campaign:
    with uow:
        return _visible(uow, campaign_id)


def list_organization_campaigns(organization_id: int, query: CampaignListQuery, page: PageRequest, *,
                                uow: UnitOfWork, actor: Actor) -> PageResult[Campaign]:
    with uow:
        if uow.organizations.get(organization_id, uow.scope) is None:
            raise NotFound(f"Organization {organization_id} was not found.")
        return uow.campaigns.list(uow.scope, page, query.filter(organization_id=organization_id))


def list_advertiser_campaigns(advertiser_id: int, query: CampaignListQuery, page: PageRequest, *,
                              uow: UnitOfWork, actor: Actor) -> PageResult[Campaign]:
    with uow:
        _advertiser(uow, advertiser_id, lock=False)
        return uow.campaigns.list(uow.scope, page, query.filter(advertiser_id=advertiser_id))


def update_campaign(campaign_id: int, cmd: CampaignUpdate, *, uow: UnitOfWork, actor: Actor) -> Campaign:
    """Partial update; a `status` in the body follows the same transitions as the status routes."""
    given = cmd.changes()
    if given.get("status") is CampaignStatus.ARCHIVED:  # archiving through PUT is still archiving
        require_delegated(actor, Permission.CAMPAIGN_DELETE)
    with uow:
        current = _visible(uow, campaign_id, for_update=True)
        check_editable(current.status)
        _check_owners_kept(current, given)
        fields = {k: v for k, v in given.items() if k not in TERMS_FIELDS and k not in OWNERS}
        campaign = _apply(uow, actor, current, fields | terms_changes(given, current))
        uow.commit()
    return campaign


def change_status(campaign_id: int, target: CampaignStatus, *, uow: UnitOfWork, actor: Actor) -> Campaign:
    """Move along the lifecycle (see `check_transition`); asking for the current status is a no-op."""
    with uow:
        current = _visible(uow, campaign_id, for_update=True)
        if current.status is target:
            return current
        campaign = _apply(uow, actor, current, {"status": target})
        uow.commit()
    return campaign


def _apply(uow: UnitOfWork, actor: Actor, current: Campaign, fields: dict[str, Any]) -> Campaign:
    """Check the campaign as it would become, then write what really changes (nothing: no event)."""
    target = fields.get("status", current.status)
    check_transition(current.status, target)
    check_campaign(replace(current, **fields))
    changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
    if not changed:
        return current
    if target is CampaignStatus.ACTIVE and current.status is not CampaignStatus.ACTIVE:
        _check_advertiser_open(_advertiser(uow, current.advertiser_id), "its campaigns cannot be activated")
    campaign = uow.campaigns.update(current.campaign_id, changed)
    _record(uow, actor, current, campaign)
    return campaign


def _record(uow: UnitOfWork, actor: Actor, before: Campaign | None, after: Campaign) -> None:
    """The audit entry and the domain event of one write, in its transaction."""
    verb, event = ("create", "created") if before is None else ("update", "updated")
    payload = event_payload(after)
    if before is not None and before.status is not after.status:
        archived = after.status is CampaignStatus.ARCHIVED
        verb, event = ("archive", "archived") if archived else ("status_change", "status_changed")
        payload["previous_status"] = before.status.value
    campaign_id, org_id = str(after.campaign_id), after.organization_id
    changes = diff(audited_fields(before) if before else {}, audited_fields(after))
    uow.audit.record(actor, AuditEntry(f"campaign.{verb}", "campaign", campaign_id, org_id, changes))
    uow.outbox.add(DomainEvent(f"campaign.{event}", "campaign", campaign_id, org_id, version=after.version,
                               payload=payload))


def _visible(uow: UnitOfWork, campaign_id: int, *, for_update: bool = False) -> Campaign:
    campaign = uow.campaigns.get(campaign_id, uow.scope, for_update=for_update)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} was not found.")
    return campaign


def _advertiser(uow: UnitOfWork, advertiser_id: int, *, lock: bool = True) -> AdvertiserRef:
    """The advertiser, or 404 when the caller cannot see it; locked, it cannot be archived under us."""
    advertiser = uow.campaigns.advertiser(advertiser_id, uow.scope, lock=lock)
    if advertiser is None:
        raise NotFound(f"Advertiser {advertiser_id} was not found.")
    return advertiser


def _check_organization_open(uow: UnitOfWork, organization_id: int) -> None:
    organization = uow.organizations.get(organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    if organization.status is OrganizationStatus.ARCHIVED:
        raise Conflict(f"Organization {organization_id} is archived; it cannot get new campaigns.")


def _check_advertiser_fits(advertiser: AdvertiserRef, organization_id: int) -> None:
    if advertiser.organization_id != organization_id:
        raise ValidationFailed("The advertiser belongs to another organization.", details=[
            problem("advertiser_id", "must be an advertiser of organization_id")])
    _check_advertiser_open(advertiser, "it cannot get new campaigns")


def _check_advertiser_open(advertiser: AdvertiserRef, consequence: str) -> None:
    if advertiser.archived:
        raise Conflict(f"Advertiser {advertiser.advertiser_id} is archived; {consequence}.")


def _check_owners_kept(current: Campaign, given: dict[str, Any]) -> None:
    """The organization and advertiser may be repeated (the original's PUT bodies) but not changed."""
    changed = [name for name in OWNERS if name in given and given[name] != getattr(current, name)]
    if changed:
        raise ValidationFailed("A campaign's organization and advertiser cannot be changed.",
                               details=[problem(name, "cannot be changed") for name in changed])
