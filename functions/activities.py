"""activities-api: an organization's recent activity, and custom activities tracked by its managers."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.activities import DashboardType, FeedOwner
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.activities import ActivityListQuery, ActivityRead, ActivityTrack, activity_read
from shared.services import activities as service

router = Router("activities-api", tag="Activities")
ORG_TYPE = f"any({', '.join(DashboardType)})"
FEED = f"/api/v1/dashboard/<{ORG_TYPE}:org_type>/<int(min=1, max=9223372036854775807):organization_id>/activities"
OWN = "/api/v1/dashboard/activity"


def _owner(call: Call) -> FeedOwner:
    return FeedOwner(call.params["organization_id"], DashboardType(call.params["org_type"]))


def _list(call: Call, owner: FeedOwner | None) -> Reply:
    result = service.list_activities(owner, call.query.to_filter(), call.page, uow=UnitOfWork(call.actor.scope),
                                     actor=call.actor)
    return Reply([activity_read(a) for a in result.items], headers=page_headers(result))


def _track(call: Call, owner: FeedOwner | None) -> ActivityRead:
    activity = service.track_activity(owner, call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return activity_read(activity)


@router.route("GET", FEED, action="activities.read", query=ActivityListQuery, response=list[ActivityRead],
              paged=True, summary="Recent activity of an organization, newest first")
def list_(call: Call) -> Reply:
    return _list(call, _owner(call))


@router.route("POST", FEED, action="activities.track", body=ActivityTrack, response=ActivityRead, status=201,
              summary="Track a custom activity of an organization")
def track(call: Call) -> ActivityRead:
    return _track(call, _owner(call))


@router.route("GET", OWN, action="activities.read", query=ActivityListQuery, response=list[ActivityRead],
              paged=True, summary="Recent activity of your organization, newest first")
def list_own(call: Call) -> Reply:
    return _list(call, None)


@router.route("POST", OWN, action="activities.track", body=ActivityTrack, response=ActivityRead, status=201,
              summary="Track a custom activity of your organization")
def track_own(call: Call) -> ActivityRead:
    return _track(call, None)


@functions_framework.http
def activities_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
