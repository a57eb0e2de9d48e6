"""supabase-webhook: the new-user database webhook creates the user's profile, once."""

from __future__ import annotations

import flask
import functions_framework

from shared.auth.webhooks import check_bearer_secret, check_standard_signature
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.http.request import parse_json, read_json
from shared.http.router import Call, Router
from shared.schemas.profiles import NewUserEvent, NewUserResult, profile_read
from shared.services import profiles as service

router = Router("supabase-webhook", tag="Webhooks")


@router.route("POST", "/api/v1/public/webhooks/supabase/new-user", action=None, response=NewUserResult,
              errors=(400, 401, 413, 415, 422),
              summary="Supabase new-user webhook (Authorization: Bearer <SUPABASE_WEBHOOK_SECRET>)")
def new_user(call: Call) -> NewUserResult:
    settings = get_settings()
    check_bearer_secret(call.request.headers.get("Authorization"), settings.supabase_webhook_secret)
    raw = read_json(call.request)
    if settings.supabase_webhook_signing_secret:
        check_standard_signature(call.request.headers, raw, settings.supabase_webhook_signing_secret)
    event = parse_json(raw, NewUserEvent)
    if event.type != "INSERT" or event.table != "users" or event.record is None:
        return NewUserResult(message="Event ignored")
    profile, _ = service.register_new_user(event.record.id, event.record.email,
                                           uow=UnitOfWork(TenantScope.everything()), actor=call.actor)
    return NewUserResult(message="Profile created", profile=profile_read(profile))


@functions_framework.http
def supabase_webhook(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
