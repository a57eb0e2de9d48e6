"""Invitation links: an advertiser's shareable token that lets affiliate organizations ask to partner."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.domain.errors import Conflict, DomainError, Forbidden, ValidationFailed

TOKEN_BYTES = 32
TOKEN_FORMAT = re.compile(r"^[0-9a-f]{64}$")


class Gone(DomainError):
    """The invitation exists but can no longer be used (disabled or expired)."""

    status = 410
    code = "gone"


class InvitationStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    EXPIRED = "expired"


class Refusal(enum.Enum):
    """Why a redemption failed: the original's messages, each with the status we answer."""

    NOT_A_MEMBER = ("You can only use an invitation for your own organization", 403)
    NOT_ACTIVE = ("Invitation is not active", 410)
    EXPIRED = ("Invitation has expired", 410)
    USED_UP = ("Invitation usage limit has been reached", 409)
    AFFILIATE_NOT_FOUND = ("Affiliate organization not found", 422)
    NOT_AN_AFFILIATE = ("Organization is not an affiliate organization", 422)
    NOT_ALLOWED = ("Your organization is not allowed to use this invitation", 403)
    ALREADY_ASSOCIATED = ("Association already exists between these organizations", 409)

    @property
    def message(self) -> str:
        return self.value[0]

    def error(self) -> DomainError:
        status = self.value[1]
        if status == 422:
            return ValidationFailed(self.message, details=[{
                "field": "affiliate_org_id", "location": "body", "message": self.message, "type": "value_error"}])
        kind: type[DomainError] = {403: Forbidden, 409: Conflict, 410: Gone}[status]
        return kind(self.message)


@dataclass(frozen=True)
class Invitation:
    invitation_id: int
    advertiser_org_id: int
    name: str
    description: str | None
    allowed_affiliate_org_ids: list[int] | None
    max_uses: int | None
    current_uses: int
    expires_at: datetime | None
    status: InvitationStatus
    created_by_user_id: UUID
    message: str | None
    default_all_affiliates_visible: bool
    default_all_campaigns_visible: bool
    default_visible_affiliate_ids: list[int] | None
    default_visible_campaign_ids: list[int] | None
    created_at: datetime
    updated_at: datetime

    def effective_status(self, now: datetime) -> InvitationStatus:
        """The stored status, except that an active invitation past its expiry is expired."""
        if self.status is InvitationStatus.ACTIVE and self.expires_at is not None and self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return self.status

    def remaining_uses(self) -> int | None:
        return None if self.max_uses is None else max(self.max_uses - self.current_uses, 0)


@dataclass(frozen=True)
class NewInvitation:
    advertiser_org_id: int
    name: str
    created_by_user_id: UUID
    description: str | None = None
    allowed_affiliate_org_ids: list[int] | None = None
    max_uses: int | None = None
    expires_at: datetime | None = None
    message: str | None = None
    default_all_campaigns_visible: bool = True
    default_visible_campaign_ids: list[int] | None = None


@dataclass(frozen=True)
class UsageRecord:
    usage_id: int
    invitation_id: int
    affiliate_org_id: int | None
    used_by_user_id: UUID | None
    association_id: int | None
    ip_address: str | None
    user_agent: str | None
    success: bool
    error_message: str | None
    used_at: datetime


@dataclass(frozen=True)
class Attempt:
    """One redemption attempt, as the usage log records it."""

    invitation_id: int
    advertiser_org_id: int
    affiliate_org_id: int
    used_by_user_id: UUID | None
    ip_address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class InvitationFilter:
    advertiser_org_id: int | None = None
    status: InvitationStatus | None = None
    created_by_user_id: UUID | None = None
    include_expired: bool = False


def new_token() -> str:
    """32 random bytes as 64 hex characters; only its hash is stored."""
    return secrets.token_hex(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def invitation_link(base_url: str, token: str) -> str:
    """The shareable URL, `<base_url>/invitations/<token>` as in the original."""
    return f"{base_url.rstrip('/')}/invitations/{token}"


def is_well_formed(token: str) -> bool:
    return bool(TOKEN_FORMAT.match(token))


def refusal(invitation: Invitation, affiliate_org_id: int, now: datetime) -> Refusal | None:
    """Why this invitation cannot be used by `affiliate_org_id` now, if it cannot (the invitation's own rules)."""
    status = invitation.effective_status(now)
    if status is InvitationStatus.DISABLED:
        return Refusal.NOT_ACTIVE
    if status is InvitationStatus.EXPIRED:
        return Refusal.EXPIRED
    if invitation.max_uses is not None and invitation.current_uses >= invitation.max_uses:
        return Refusal.USED_UP
    allowed = invitation.allowed_affiliate_org_ids
    if allowed is not None and affiliate_org_id not in allowed:
        return Refusal.NOT_ALLOWED
    return None


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at must be in the future.",
                               details=[_detail("expires_at", "must be in the future")])


def check_update(current: Invitation, changes: dict[str, Any], now: datetime) -> None:
    """422 for a partial update that would leave the invitation inconsistent."""
    if "expires_at" in changes:
        check_expiry(changes["expires_at"], now)
    max_uses = changes.get("max_uses", current.max_uses)
    if max_uses is not None and max_uses < current.current_uses:
        raise ValidationFailed(
            f"max_uses cannot be lower than the {current.current_uses} uses already made.",
            details=[_detail("max_uses", f"must be at least {current.current_uses}")],
        )
    expires_at = changes.get("expires_at", current.expires_at)
    reactivating = changes.get("status") is InvitationStatus.ACTIVE and current.status is not InvitationStatus.ACTIVE
    if reactivating and expires_at is not None and expires_at <= now:
        raise ValidationFailed("An expired invitation needs a later expires_at to be active again.",
                               details=[_detail("expires_at", "must be in the future")])


def invitation_fields(invitation: Invitation) -> dict[str, Any]:
    """The payload of events and the before/after of audit entries (never the token or its hash)."""
    return {
        "invitation_id": invitation.invitation_id,
        "advertiser_org_id": invitation.advertiser_org_id,
        "name": invitation.name,
        "description": invitation.description,
        "allowed_affiliate_org_ids": invitation.allowed_affiliate_org_ids,
        "max_uses": invitation.max_uses,
        "current_uses": invitation.current_uses,
        "expires_at": invitation.expires_at.isoformat() if invitation.expires_at else None,
        "status": invitation.status.value,
        "message": invitation.message,
        "default_all_campaigns_visible": invitation.default_all_campaigns_visible,
        "default_visible_campaign_ids": invitation.default_visible_campaign_ids,
    }


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "message": message, "type": "value_error"}
