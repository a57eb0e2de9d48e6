"""Request and response models of the advertisers API (the original's JSON field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from shared.domain.advertisers import (
    Advertiser,
    AdvertiserFilter,
    AdvertiserSort,
    AdvertiserStatus,
    AttributionMethod,
    AttributionPriority,
    EmailAttributionMethod,
)
from shared.schemas.billing import BillingDetailsIn, BillingDetailsRead, Text
from shared.schemas.common import (
    Currency,
    Email,
    LongText,
    Name,
    PositiveId,
    QueryModel,
    ReadModel,
    SortOrder,
    StrictModel,
    Url,
)


def settable_status(status: AdvertiserStatus) -> AdvertiserStatus:
    if status is AdvertiserStatus.ARCHIVED:
        raise ValueError("archive with DELETE instead")
    return status


Status = Annotated[AdvertiserStatus, AfterValidator(settable_status)]
TimezoneId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Search = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
REQUIRED = ("name", "status", "contact_email", "default_currency_id")


class _AdvertiserSettings(StrictModel):
    """The fields a client may set on create and change on update."""

    billing_details: BillingDetailsIn | None = None
    internal_notes: LongText | None = None
    platform_name: Text | None = None
    platform_url: Url | None = None
    platform_username: Text | None = None
    accounting_contact_email: Email | None = None
    offer_id_macro: Text | None = None
    affiliate_id_macro: Text | None = None
    attribution_method: AttributionMethod | None = None
    email_attribution_method: EmailAttributionMethod | None = None
    attribution_priority: AttributionPriority | None = None
    reporting_timezone_id: TimezoneId | None = None

    def values(self, *, only_given: bool) -> dict[str, Any]:
        """The fields as domain values (all of them, or only those in the body)."""
        values = self.model_dump(exclude={"billing_details", "organization_id"}, exclude_unset=only_given)
        if "billing_details" in self.model_fields_set or not only_given:
            values["billing_details"] = self.billing_details.to_domain() if self.billing_details else None
        return values


class AdvertiserCreate(_AdvertiserSettings):
    name: Name
    organization_id: PositiveId
    status: Status = AdvertiserStatus.PENDING
    contact_email: Email
    default_currency_id: Currency = "USD"


class AdvertiserUpdate(_AdvertiserSettings):
    """Partial update: an omitted field keeps its value; a nested object given replaces the stored one."""

    name: Name | None = None
    status: Status | None = None
    contact_email: Email | None = None
    default_currency_id: Currency | None = None

    @field_validator(*REQUIRED)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class AdvertiserRead(ReadModel):
    advertiser_id: int
    organization_id: int
    name: str
    status: AdvertiserStatus
    contact_email: str | None
    billing_details: BillingDetailsRead | None
    internal_notes: str | None
    default_currency_id: str
    platform_name: str | None
    platform_url: str | None
    platform_username: str | None
    accounting_contact_email: str | None
    offer_id_macro: str | None
    affiliate_id_macro: str | None
    attribution_method: AttributionMethod | None
    email_attribution_method: EmailAttributionMethod | None
    attribution_priority: AttributionPriority | None
    reporting_timezone_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class AdvertiserListQuery(QueryModel):
    status: AdvertiserStatus | None = None
    search: Search | None = Field(default=None, description="Part of the name, any case")
    sort_by: AdvertiserSort = AdvertiserSort.ADVERTISER_ID
    sort_order: SortOrder = SortOrder.ASC
    include_archived: bool = False

    def to_filter(self) -> AdvertiserFilter:
        return AdvertiserFilter(status=self.status, search=self.search or None,
                                include_archived=self.include_archived, sort_by=self.sort_by,
                                descending=self.sort_order is SortOrder.DESC)


def advertiser_read(advertiser: Advertiser) -> AdvertiserRead:
    return AdvertiserRead.model_validate(advertiser)
