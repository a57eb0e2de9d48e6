"""profiles-api: the caller's own profile and the original's profile routes, made safe."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.http.router import Call, Reply, Router
from shared.schemas.profiles import ProfileCreate, ProfileRead, ProfileUpdate, ProfileUpsert, profile_read
from shared.services import profiles as service

router = Router("profiles-api", tag="Profiles")
ONE = "/api/v1/profiles/<uuid:user_id>"


@router.route("GET", "/api/v1/users/me", action="users.me", response=ProfileRead, errors=(404,),  # no profile yet
              summary="Your own profile")
def me(call: Call) -> ProfileRead:
    return profile_read(service.get_me(uow=UnitOfWork(call.actor.scope), actor=call.actor))


@router.route("POST", "/api/v1/profiles", action="profiles.create", body=ProfileCreate, response=ProfileRead,
              status=201, summary="Create your first profile, or a member's profile you may manage")
def create(call: Call) -> ProfileRead:
    return profile_read(service.create_profile(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor))


@router.route("POST", "/api/v1/profiles/upsert", action="profiles.upsert", body=ProfileUpsert,
              response=ProfileRead, summary="Create or replace a profile you may manage")
def upsert(call: Call) -> ProfileRead:
    return profile_read(service.upsert_profile(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor))


@router.route("PUT", ONE, action="profiles.update", body=ProfileUpdate, response=ProfileRead,
              summary="Update a profile (your own names, or members you manage)")
def update(call: Call) -> ProfileRead:
    profile = service.update_profile(call.params["user_id"], call.body, uow=UnitOfWork(call.actor.scope),
                                     actor=call.actor)
    return profile_read(profile)


@router.route("DELETE", ONE, action="profiles.delete", status=204, summary="Remove a member's profile")
def delete(call: Call) -> Reply:
    service.delete_profile(call.params["user_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return Reply(None, status=204)


@functions_framework.http
def profiles_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
