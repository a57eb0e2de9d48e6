"""Turn a request's bearer token into the calling principal."""

from __future__ import annotations

import flask

from shared.auth.tokens import InvalidToken, bearer_token, verify
from shared.db.uow import UnitOfWork
from shared.domain.principal import Principal


def authenticate(request: flask.Request) -> Principal:
    user_id = verify(bearer_token(request.headers.get("Authorization")))
    with UnitOfWork() as uow:
        principal = uow.profiles.principal(user_id)
    if principal is None:
        raise InvalidToken("no_profile", "The user has no profile yet.")
    return principal
