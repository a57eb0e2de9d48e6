"""Request and response models of the advertiser association invitations API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from shared.domain.invitations import Invitation, InvitationStatus, UsageRecord
from shared.domain.partnerships import Association, OrganizationSummary
from shared.schemas.common import LongText, Name, PositiveId, QueryModel, ReadModel, StrictModel, Url
from shared.schemas.partnerships import AssociationRead, IdList, OrganizationSummaryRead, WindowQuery

MaxUses = Annotated[int, Field(ge=1, le=1_000_000)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class InvitationCreate(StrictModel):
    """Campaign visibility defaults only: which affiliates an affiliate organization shows is its own choice."""

    advertiser_org_id: PositiveId
    name: Name
    description: LongText | None = None
    allowed_affiliate_org_ids: IdList | None = Field(default=None, description="null: any affiliate organization.")
    max_uses: MaxUses | None = Field(default=None, description="null: unlimited.")
    expires_at: AwareDatetime | None = Field(default=None, description="RFC 3339; null: never.")
    message: LongText | None = None
    default_all_campaigns_visible: bool = True
    default_visible_campaign_ids: IdList | None = None


class InvitationUpdate(StrictModel):
    """Partial update; `null` clears description, allow-list, max_uses, expires_at, message or the id list."""

    name: Name | None = None
    description: LongText | None = None
    allowed_affiliate_org_ids: IdList | None = None
    max_uses: MaxUses | None = None
    expires_at: AwareDatetime | None = None
    status: Literal["active", "disabled"] | None = None
    message: LongText | None = None
    default_all_campaigns_visible: bool | None = None
    default_visible_campaign_ids: IdList | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> Self:
        for name in ("name", "status", "default_all_campaigns_visible"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class InvitationUse(StrictModel):
    """The caller's IP address and user agent are taken from the request, never from the body."""

    invitation_token: Token
    affiliate_org_id: PositiveId
    message: LongText | None = None


class InvitationListQuery(WindowQuery):
    advertiser_org_id: PositiveId | None = None
    status: InvitationStatus | None = None
    created_by_user_id: UUID | None = None
    include_expired: bool = False


class UsageHistoryQuery(WindowQuery):
    pass


class LinkQuery(QueryModel):
    base_url: Url | None = Field(default=None, description="Where the link points (default: this API's host).")


class InvitationRead(ReadModel):
    invitation_id: int
    advertiser_org_id: int
    name: str
    description: str | None
    allowed_affiliate_org_ids: list[int] | None
    max_uses: int | None
    current_uses: int
    usage_count: int
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


class InvitationDetailRead(InvitationRead):
    advertiser_organization: OrganizationSummaryRead | None = None


class InvitationCreatedRead(InvitationRead):
    """The only response that carries the token: it is stored hashed and cannot be shown again."""

    invitation_token: str
    invitation_link: str


class InvitationLinkRead(ReadModel):
    invitation_id: int
    invitation_token: str
    invitation_link: str


class UsageRead(ReadModel):
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


class RedemptionRead(ReadModel):
    success: bool = True
    association: AssociationRead
    invitation: InvitationRead


class PublicInvitationRead(ReadModel):
    """What anyone holding the link may see: no ids of people, no emails, no profiles."""

    name: str
    description: str | None
    message: str | None
    advertiser_organization_name: str | None
    expires_at: datetime | None
    remaining_uses: int | None
    status: InvitationStatus
    usable: bool


def invitation_read(invitation: Invitation, now: datetime) -> InvitationRead:
    """The stored invitation with its effective status (an active one past expiry reads as expired)."""
    return InvitationRead.model_validate({
        **invitation.__dict__, "status": invitation.effective_status(now), "usage_count": invitation.current_uses,
    })


def invitation_detail(invitation: Invitation, advertiser: OrganizationSummary | None,
                      now: datetime) -> InvitationDetailRead:
    summary = OrganizationSummaryRead.model_validate(advertiser) if advertiser else None
    return InvitationDetailRead(**invitation_read(invitation, now).model_dump(), advertiser_organization=summary)


def invitation_created(invitation: Invitation, token: str, link: str, now: datetime) -> InvitationCreatedRead:
    return InvitationCreatedRead(**invitation_read(invitation, now).model_dump(), invitation_token=token,
                                 invitation_link=link)


def redemption_read(association: Association, invitation: Invitation, now: datetime) -> RedemptionRead:
    return RedemptionRead(association=AssociationRead.model_validate(association),
                          invitation=invitation_read(invitation, now))


def public_read(invitation: Invitation, advertiser: OrganizationSummary | None, now: datetime) -> PublicInvitationRead:
    status = invitation.effective_status(now)
    remaining = invitation.remaining_uses()
    return PublicInvitationRead(
        name=invitation.name, description=invitation.description, message=invitation.message,
        advertiser_organization_name=advertiser.name if advertiser else None, expires_at=invitation.expires_at,
        remaining_uses=remaining, status=status,
        usable=status is InvitationStatus.ACTIVE and remaining != 0,
    )


def usage_read(record: UsageRecord) -> UsageRead:
    return UsageRead.model_validate(record)
