"""Activity use cases: read an organization's feed, track a custom activity, record a domain event's.

A feed route names its organization (`FeedOwner`: id and dashboard type) or means the caller's own
(`None`). Another tenant's organization, or one of another type than the path says, is a 404.
Whatever changes a tenant's dashboards invalidates its report cache once the change is committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.caching import ReportCache, get_report_cache
from shared.db.uow import UnitOfWork
from shared.domain.activities import (
    Activity,
    ActivityFilter,
    ActivitySource,
    EventRecord,
    FeedOwner,
    NewActivity,
)
from shared.domain.activity_events import plan, tenants_to_invalidate
from shared.domain.errors import NotFound
from shared.domain.organizations import Organization
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.schemas.activities import ActivityTrack


def list_activities(owner: FeedOwner | None, where: ActivityFilter, page: PageRequest, *, uow: UnitOfWork,
                    actor: Actor) -> PageResult[Activity]:
    """The organization's activities, newest first."""
    with uow:
        organization = _organization(uow, actor, owner)
        return uow.activities.list(organization.organization_id, where, page)


def track_activity(owner: FeedOwner | None, cmd: ActivityTrack, *, uow: UnitOfWork, actor: Actor,
                   cache: ReportCache | None = None) -> Activity:
    """Add a custom activity by the caller; the organization's dashboards are recomputed, as the original did."""
    with uow:
        organization = _organization(uow, actor, owner)
        activity = uow.activities.add(NewActivity(
            organization.organization_id, cmd.type, cmd.title, ActivitySource.USER, cmd.description, cmd.metadata,
            actor_user_id=actor.user.user_id))
        uow.commit()
    _invalidate(cache, [organization.organization_id])
    return activity


def record_event(event: EventRecord, *, uow: UnitOfWork, cache: ReportCache | None = None) -> int:
    """Record the event's activity for each organization it concerns, once; return how many rows were new.

    `uow` is system-scoped. Events without an organization or a rule record nothing. The cache is
    invalidated after the commit, so a dashboard recomputed at once already sees the change.
    """
    recorded = 0
    activity_plan = plan(event)
    if activity_plan is not None:
        with uow:
            names = {i: o.name for i in activity_plan.named if (o := uow.organizations.get(i, uow.scope))}
            recorded = sum(uow.activities.add_recorded(a) for a in activity_plan.activities(names))
            uow.commit()
    _invalidate(cache, tenants_to_invalidate(event))
    return recorded


def _organization(uow: UnitOfWork, actor: Actor, owner: FeedOwner | None) -> Organization:
    if owner is None:
        return _own_organization(uow, actor)
    organization = uow.organizations.get(owner.organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {owner.organization_id} was not found.")
    if organization.type is not owner.dashboard_type.organization_type:
        raise NotFound(f"Organization {owner.organization_id} is not a {owner.dashboard_type} organization.")
    return organization


def _own_organization(uow: UnitOfWork, actor: Actor) -> Organization:
    organization_id = actor.user.organization_id
    organization = uow.organizations.get(organization_id, uow.scope) if organization_id else None
    if organization is None:
        raise NotFound("You belong to no organization.")
    return organization


def _invalidate(cache: ReportCache | None, organization_ids: Iterable[int]) -> None:
    """Never fails: the cache degrades to this process when Redis is down."""
    for organization_id in organization_ids:
        (cache or get_report_cache()).invalidate(f"org:{organization_id}")
