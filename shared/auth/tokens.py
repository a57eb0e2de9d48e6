"""Supabase access tokens: the legacy HS256 secret and the JWKS-published ES256/RS256 signing keys."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

import jwt
import requests
from jwt.exceptions import InvalidSubjectError

from shared.config import Settings, get_settings
from shared.domain.errors import Unauthenticated

log = logging.getLogger(__name__)

SYMMETRIC = "HS256"
# Tuples, not sets: a hostile header may carry an unhashable `alg`, and `in` on a tuple never hashes.
ASYMMETRIC = ("ES256", "RS256")
REQUIRED_CLAIMS = ["exp", "sub", "aud"]
JWKS_TIMEOUT_SECONDS = 2.0


class Reason(enum.StrEnum):
    """Why a token was refused; sent to the client as the error code (S105: codes, not secrets)."""

    MISSING_TOKEN = "missing_token"  # noqa: S105
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_KEY = "unknown_key"
    JWKS_UNAVAILABLE = "jwks_unavailable"
    INVALID_SIGNATURE = "invalid_signature"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105
    TOKEN_NOT_YET_VALID = "token_not_yet_valid"  # noqa: S105
    INVALID_AUDIENCE = "invalid_audience"
    INVALID_ISSUER = "invalid_issuer"
    MISSING_CLAIM = "missing_claim"
    INVALID_SUBJECT = "invalid_subject"
    AUTH_NOT_CONFIGURED = "auth_not_configured"


class InvalidToken(Unauthenticated):
    """A 401 whose `code` tells the client why its token was refused."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = str(reason)


class JwksUnavailable(Exception):
    """The JWKS could not be fetched or read."""


@dataclass(frozen=True)
class VerifiedToken:
    user_id: UUID
    algorithm: str
    claims: Mapping[str, Any]


# Checked in order: the first matching class names the reason.
_REJECTIONS: tuple[tuple[type[jwt.PyJWTError], Reason, str], ...] = (
    (jwt.ExpiredSignatureError, Reason.TOKEN_EXPIRED, "The token has expired."),
    (jwt.ImmatureSignatureError, Reason.TOKEN_NOT_YET_VALID, "The token is not valid yet."),
    (jwt.InvalidAudienceError, Reason.INVALID_AUDIENCE, "The token is not for this audience."),
    (jwt.InvalidIssuerError, Reason.INVALID_ISSUER, "The token was not issued by this project."),
    (InvalidSubjectError, Reason.INVALID_SUBJECT, "The token's subject is not a user id."),
    (jwt.InvalidSignatureError, Reason.INVALID_SIGNATURE, "The token's signature does not verify."),
)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; 401 `missing_token` otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(Reason.MISSING_TOKEN, "Send 'Authorization: Bearer <token>'.")
    return token.strip()


def verify(token: str) -> UUID:
    """The user id (`sub`) of a valid token; anything else is a 401 with a reason code."""
    return verify_token(token).user_id


def verify_token(token: str) -> VerifiedToken:
    """Verify a Supabase access token with the one key its (unverified) `alg` header allows."""
    settings = get_settings()
    header = _unverified_header(token)
    algorithm = header.get("alg")
    if algorithm == SYMMETRIC:
        key: str | jwt.PyJWK = _legacy_secret(settings)
    elif algorithm in ASYMMETRIC:
        key = _published_key(header, settings)
    else:
        raise InvalidToken(Reason.UNSUPPORTED_ALGORITHM, "The token's signing algorithm is not accepted.")
    claims = _decode(token, key, str(algorithm), settings)
    return VerifiedToken(user_id=_subject(claims), algorithm=str(algorithm), claims=claims)


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(Reason.MALFORMED_TOKEN, "The token is malformed.") from exc


def _legacy_secret(settings: Settings) -> str:
    if not settings.supabase_jwt_secret:
        raise InvalidToken(Reason.AUTH_NOT_CONFIGURED, "HS256 token verification is not configured.")
    return settings.supabase_jwt_secret


def _published_key(header: Mapping[str, Any], settings: Settings) -> jwt.PyJWK:
    if not settings.supabase_jwks_url:
        raise InvalidToken(Reason.AUTH_NOT_CONFIGURED, "Signing-key verification is not configured.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken(Reason.UNKNOWN_KEY, "The token names no signing key.")
    key = get_key_set().signing_key(kid)
    if key.algorithm_name != header["alg"]:
        raise InvalidToken(Reason.INVALID_SIGNATURE, "The token's algorithm does not match its key.")
    return key


def _decode(token: str, key: str | jwt.PyJWK, algorithm: str, settings: Settings) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer or None,
            leeway=settings.jwt_leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise _rejection(exc) from exc
    return claims


def _rejection(exc: jwt.PyJWTError) -> InvalidToken:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return InvalidToken(Reason.MISSING_CLAIM, f"The token lacks the '{exc.claim}' claim.")
    for kind, reason, message in _REJECTIONS:
        if isinstance(exc, kind):
            return InvalidToken(reason, message)
    return InvalidToken(Reason.MALFORMED_TOKEN, "The token is malformed.")


def _subject(claims: Mapping[str, Any]) -> UUID:
    try:
        return UUID(str(claims["sub"]))
    except ValueError as exc:
        raise InvalidToken(Reason.INVALID_SUBJECT, "The token's subject is not a user id.") from exc


class KeySet:
    """A JWKS's signing keys by kid, cached for `ttl` s; misses and failures refetch at most every `min_refresh` s."""

    def __init__(self, url: str, *, ttl: float, min_refresh: float, timeout: float = JWKS_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._expires_at = 0.0
        self._quiet_until = 0.0

    def signing_key(self, kid: str) -> jwt.PyJWK:
        """The published key named `kid`; 401 `unknown_key`, or `jwks_unavailable` when no set was ever read."""
        with self._lock:
            if self._keys is None or self._clock() >= self._expires_at:
                self._load(after_miss=False)
            elif kid not in self._keys:
                self._load(after_miss=True)
            keys = self._keys
        if keys is None:
            raise InvalidToken(Reason.JWKS_UNAVAILABLE, "The signing keys cannot be fetched right now.")
        if kid not in keys:
            raise InvalidToken(Reason.UNKNOWN_KEY, "The token's signing key is unknown.")
        return keys[kid]

    def _load(self, *, after_miss: bool) -> None:
        # A failure keeps the keys we have; a miss or a failure opens a quiet period, so neither
        # garbage kids nor an outage make every request call Supabase.
        now = self._clock()
        if now < self._quiet_until:
            return
        try:
            self._keys = fetch_signing_keys(self.url, timeout=self._timeout)
        except JwksUnavailable as exc:
            log.warning("JWKS fetch from %s failed: %s", self.url, exc)
            self._quiet_until = now + self._min_refresh
            return
        self._expires_at = now + self._ttl
        if after_miss:
            self._quiet_until = now + self._min_refresh


def fetch_signing_keys(url: str, *, timeout: float) -> dict[str, jwt.PyJWK]:
    """The usable signing keys published at `url`, by kid; raises JwksUnavailable."""
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except requests.RequestException as exc:
        raise JwksUnavailable(type(exc).__name__) from exc
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksUnavailable("the document has no 'keys' list")
    return dict(pair for pair in map(_signing_key, entries) if pair is not None)


def _signing_key(entry: object) -> tuple[str, jwt.PyJWK] | None:
    """One JWKS entry as (kid, verification key), or None when it is not an allowed signing key."""
    if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or entry.get("alg", ASYMMETRIC[0]) not in ASYMMETRIC:
        return None
    try:
        key = jwt.PyJWK(entry)
    except (jwt.PyJWTError, TypeError, ValueError):  # one odd entry must not hide the others
        return None
    return (kid, key) if key.algorithm_name in ASYMMETRIC else None


@cache
def get_key_set() -> KeySet:
    """The process's JWKS cache, built from the settings on first use."""
    settings = get_settings()
    return KeySet(settings.supabase_jwks_url, ttl=settings.jwks_cache_seconds,
                  min_refresh=settings.jwks_min_refresh_seconds)


def reset_key_set() -> None:
    """Forget the cached key set (tests, and the local runner after reconfiguring)."""
    get_key_set.cache_clear()


def issue(user_id: UUID, secret: str, *, email: str | None = None, ttl_seconds: int = 86_400,
          now: int | None = None) -> str:
    """Sign a Supabase-shaped HS256 token (local runs and tests)."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "aud": "authenticated", "role": "authenticated",
              "iat": issued, "exp": issued + ttl_seconds, "email": email}
    return jwt.encode(claims, secret, algorithm=SYMMETRIC)
