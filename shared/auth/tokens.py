"""Supabase access tokens: HS256 with the project's JWT secret."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import jwt

from shared.config import get_settings
from shared.domain.errors import Unauthenticated

ALGORITHMS = ["HS256"]


class InvalidToken(Unauthenticated):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = reason


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("missing_token", "Send 'Authorization: Bearer <token>'.")
    return token.strip()


def verify(token: str) -> UUID:
    """The user id (`sub`) of a valid token; anything else is a 401 with a reason code."""
    settings = get_settings()
    if not settings.supabase_jwt_secret:
        raise InvalidToken("auth_not_configured", "Token verification is not configured.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.supabase_jwt_secret,
            algorithms=ALGORITHMS,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token_expired", "The token has expired.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken("invalid_audience", "The token is not for this audience.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken("missing_claim", f"The token lacks the '{exc.claim}' claim.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("invalid_token", "The token is not valid.") from exc
    try:
        return UUID(str(claims["sub"]))
    except ValueError as exc:
        raise InvalidToken("invalid_subject", "The token's subject is not a user id.") from exc


def issue(user_id: UUID, secret: str, *, email: str | None = None, ttl_seconds: int = 86_400,
          now: int | None = None) -> str:
    """Sign a Supabase-shaped HS256 token (local runs and tests)."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "aud": "authenticated", "role": "authenticated",
              "iat": issued, "exp": issued + ttl_seconds, "email": email}
    return jwt.encode(claims, secret, algorithm="HS256")
