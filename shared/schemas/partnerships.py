"""Request and response models of the organization associations API (the original's JSON field names)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import (
    MAX_VISIBLE_IDS,
    Association,
    AssociationStatus,
    AssociationType,
    OrganizationSummary,
    Window,
)
from shared.schemas.common import LongText, PositiveId, QueryModel, ReadModel, StrictModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def _distinct_sorted(ids: list[int]) -> list[int]:
    return sorted(set(ids))


IdList = Annotated[list[PositiveId], Field(max_length=MAX_VISIBLE_IDS), AfterValidator(_distinct_sorted)]


class WindowQuery(QueryModel):
    """The original's `limit`/`offset`, or `page`/`page_size`; one style per request."""

    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    offset: int | None = Field(default=None, ge=0, le=999_999_999)
    page: int | None = Field(default=None, ge=1, le=999_999_999)
    page_size: int | None = Field(default=None, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _one_style(self) -> Self:
        paging = self.page is not None or self.page_size is not None
        if paging and (self.limit is not None or self.offset is not None):
            raise ValueError("use either limit/offset or page/page_size")
        return self

    def window(self, default_limit: int = DEFAULT_LIMIT) -> Window:
        if self.page is not None or self.page_size is not None:
            size = self.page_size or default_limit
            return Window(size, ((self.page or 1) - 1) * size)
        return Window(self.limit or default_limit, self.offset or 0)


class AssociationCreate(StrictModel):
    """An invitation (advertiser side asks) or a request (affiliate side asks); the route sets the type."""

    advertiser_org_id: PositiveId
    affiliate_org_id: PositiveId
    association_type: AssociationType | None = Field(
        default=None, description="Optional; when given it must match the route.")
    message: LongText | None = None
    visible_affiliate_ids: IdList | None = None
    visible_campaign_ids: IdList | None = None
    all_affiliates_visible: bool = True
    all_campaigns_visible: bool = True


class VisibilityUpdate(StrictModel):
    """Partial: each side changes what it exposes (advertiser: campaigns, affiliate: affiliates). Not the status."""

    visible_affiliate_ids: IdList | None = None
    visible_campaign_ids: IdList | None = None
    all_affiliates_visible: bool | None = None
    all_campaigns_visible: bool | None = None

    @model_validator(mode="after")
    def _flags_not_null(self) -> Self:
        for name in ("all_affiliates_visible", "all_campaigns_visible"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} must be true or false")
        return self


class AssociationListQuery(WindowQuery):
    advertiser_org_id: PositiveId | None = None
    affiliate_org_id: PositiveId | None = None
    status: AssociationStatus | None = None
    association_type: AssociationType | None = None
    with_details: bool = False


class OrganizationAssociationsQuery(WindowQuery):
    status: AssociationStatus | None = None
    association_type: AssociationType | None = None
    with_details: bool = False


class DetailsQuery(QueryModel):
    with_details: bool = False


class VisibleAffiliatesQuery(WindowQuery):
    affiliate_org_id: PositiveId | None = None


class VisibleCampaignsQuery(WindowQuery):
    advertiser_org_id: PositiveId | None = None


class OrganizationSummaryRead(ReadModel):
    organization_id: int
    name: str
    type: OrganizationType


class AssociationRead(ReadModel):
    association_id: int
    advertiser_org_id: int
    affiliate_org_id: int
    status: AssociationStatus
    association_type: AssociationType
    visible_affiliate_ids: list[int] | None
    visible_campaign_ids: list[int] | None
    all_affiliates_visible: bool
    all_campaigns_visible: bool
    requested_by_user_id: UUID | None
    approved_by_user_id: UUID | None
    message: str | None
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None


class AssociationWithDetailsRead(AssociationRead):
    """`with_details=true`: both organizations' id, name and type (never their people)."""

    advertiser_organization: OrganizationSummaryRead | None = None
    affiliate_organization: OrganizationSummaryRead | None = None


class VisibleAffiliateRead(ReadModel):
    affiliate_id: int
    organization_id: int
    name: str
    status: str


class VisibleCampaignRead(ReadModel):
    campaign_id: int
    organization_id: int
    advertiser_id: int
    name: str
    status: str
    visibility: str
    currency_id: str
    start_date: date | None
    end_date: date | None
    preview_url: str | None
    thumbnail_url: str | None


def association_read(association: Association,
                     organizations: dict[int, OrganizationSummary] | None = None) -> AssociationRead:
    """One association; with the organizations' summaries when they were loaded (`with_details`)."""
    base = AssociationRead.model_validate(association)
    if organizations is None:
        return base
    details: dict[str, Any] = {
        "advertiser_organization": _summary(organizations.get(association.advertiser_org_id)),
        "affiliate_organization": _summary(organizations.get(association.affiliate_org_id)),
    }
    return AssociationWithDetailsRead(**base.model_dump(), **details)


def _summary(summary: OrganizationSummary | None) -> OrganizationSummaryRead | None:
    return OrganizationSummaryRead.model_validate(summary) if summary else None
