"""Request and response models of the organizations API (the original's JSON field names)."""

from __future__ import annotations

from datetime import datetime

from pydantic import field_validator

from shared.domain.organizations import (
    AdvertiserExtraInfo,
    AffiliateExtraInfo,
    AffiliateType,
    CompanySize,
    Organization,
    OrganizationStatus,
    OrganizationType,
    WebsiteType,
)
from shared.schemas.common import Email, LongText, Name, QueryModel, ReadModel, StrictModel, Url


class AdvertiserExtraInfoIn(StrictModel):
    website: Url | None = None
    website_type: WebsiteType | None = None
    company_size: CompanySize | None = None


class AffiliateExtraInfoIn(StrictModel):
    website: Url | None = None
    affiliate_type: AffiliateType | None = None
    self_description: LongText | None = None
    logo_url: Url | None = None


class OrganizationCreate(StrictModel):
    name: Name
    type: OrganizationType
    contact_email: Email | None = None
    description: LongText | None = None
    advertiser_extra_info: AdvertiserExtraInfoIn | None = None
    affiliate_extra_info: AffiliateExtraInfoIn | None = None


class OrganizationUpdate(StrictModel):
    """Partial update: an omitted field keeps its value; `null` clears only the optional ones."""

    name: Name | None = None
    type: OrganizationType | None = None
    contact_email: Email | None = None
    description: LongText | None = None
    advertiser_extra_info: AdvertiserExtraInfoIn | None = None
    affiliate_extra_info: AffiliateExtraInfoIn | None = None

    @field_validator("name", "type", mode="before")
    @classmethod
    def _required_when_given(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null")
        return value


class OrganizationRead(ReadModel):
    organization_id: int
    name: str
    type: OrganizationType
    status: OrganizationStatus
    contact_email: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class AdvertiserExtraInfoRead(ReadModel):
    website: str | None
    website_type: WebsiteType | None
    company_size: CompanySize | None


class AffiliateExtraInfoRead(ReadModel):
    website: str | None
    affiliate_type: AffiliateType | None
    self_description: str | None
    logo_url: str | None


class OrganizationWithExtraRead(OrganizationRead):
    advertiser_extra_info: AdvertiserExtraInfoRead | None = None
    affiliate_extra_info: AffiliateExtraInfoRead | None = None


class OrganizationListQuery(QueryModel):
    type: OrganizationType | None = None
    include_archived: bool = False


class OrganizationGetQuery(QueryModel):
    with_extra: bool = False



def organization_read(organization: Organization) -> OrganizationRead:
    """The response for one organization, with its extra information when it was loaded."""
    base = OrganizationRead.model_validate(organization).model_dump()
    extra = organization.extra_info
    if isinstance(extra, AdvertiserExtraInfo):
        return OrganizationWithExtraRead(**base, advertiser_extra_info=AdvertiserExtraInfoRead.model_validate(extra))
    if isinstance(extra, AffiliateExtraInfo):
        return OrganizationWithExtraRead(**base, affiliate_extra_info=AffiliateExtraInfoRead.model_validate(extra))
    return OrganizationRead(**base)
