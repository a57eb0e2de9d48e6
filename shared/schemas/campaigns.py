"""Request and response models of the campaigns API (the original's JSON field names, plus Everflow's model)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints

from shared.domain.campaign_terms import BillingModel, PayoutType, RevenueType, billing_model, legacy_amounts, money
from shared.domain.campaigns import (
    LEGACY_CONVERSION_METHODS,
    LEGACY_SESSION_DEFINITIONS,
    Campaign,
    CampaignFilter,
    CampaignSort,
    CampaignStatus,
    ConversionMethod,
    SessionDefinition,
    Visibility,
)
from shared.domain.errors import ValidationFailed
from shared.schemas.common import (
    Amount,
    Currency,
    LongText,
    Name,
    Percentage,
    PositiveId,
    QueryModel,
    ReadModel,
    SortOrder,
    StrictModel,
    Url,
    to_cents,
)


def _iso_date(value: Any) -> Any:
    """A date, also given as an RFC 3339 date-time (as the original API took it): its date part."""
    if not isinstance(value, str):
        return value
    return date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value).date()


def _alias(aliases: dict[str, Any]) -> BeforeValidator:
    return BeforeValidator(lambda value: aliases.get(value, value) if isinstance(value, str) else value)


CampaignDate = Annotated[date, BeforeValidator(_iso_date),
                         Field(description="YYYY-MM-DD (an RFC 3339 date-time is read as its date).")]
ConversionMethodIn = Annotated[ConversionMethod, _alias(LEGACY_CONVERSION_METHODS),
                               Field(description="Everflow's values; `pixel` is read as `https_image_pixel`.")]
SessionDefinitionIn = Annotated[SessionDefinition, _alias(LEGACY_SESSION_DEFINITIONS),
                                Field(description="Everflow's values; `fingerprint` is read as `ip_user_agent`.")]
Cap = Annotated[int, Field(ge=0, le=2_147_483_647)]
Hours = Annotated[int, Field(ge=1, le=8_760)]
Terms = Annotated[str, StringConstraints(max_length=20_000)]
Search = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Exact decimals inside, JSON numbers on the wire (as the original answered).
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

# Fields a PUT may not set to null: they always have a value.
REQUIRED_VALUES = frozenset({
    "organization_id", "advertiser_id", "name", "status", "visibility", "currency_id", "conversion_method",
    "session_definition", "session_duration", "is_caps_enabled", "payout_type", "payout_amount",
    "payout_percentage", "revenue_type", "revenue_amount", "revenue_percentage",
})
CENTS = {"payout_amount": "payout_amount_cents", "revenue_amount": "revenue_amount_cents",
         "fixed_revenue": "fixed_revenue", "fixed_click_amount": "fixed_click_amount",
         "fixed_conversion_amount": "fixed_conversion_amount"}


class CampaignFields(StrictModel):
    """What create and update share; the payout may be given Everflow's way or the original's."""

    description: LongText | None = None
    status: CampaignStatus | None = None
    start_date: CampaignDate | None = None
    end_date: CampaignDate | None = None
    destination_url: Url | None = None
    thumbnail_url: Url | None = None
    preview_url: Url | None = None
    visibility: Visibility | None = None
    currency_id: Currency | None = None
    internal_notes: LongText | None = None
    conversion_method: ConversionMethodIn | None = None
    session_definition: SessionDefinitionIn | None = None
    session_duration: Hours | None = Field(default=None, description="Hours.")
    terms_and_conditions: Terms | None = None
    is_caps_enabled: bool | None = None
    daily_conversion_cap: Cap | None = None
    weekly_conversion_cap: Cap | None = None
    monthly_conversion_cap: Cap | None = None
    global_conversion_cap: Cap | None = None
    daily_click_cap: Cap | None = None
    weekly_click_cap: Cap | None = None
    monthly_click_cap: Cap | None = None
    global_click_cap: Cap | None = None
    payout_type: PayoutType | None = None
    payout_amount: Amount | None = None
    payout_percentage: Percentage | None = None
    revenue_type: RevenueType | None = None
    revenue_amount: Amount | None = None
    revenue_percentage: Percentage | None = None
    fixed_revenue: Amount | None = Field(default=None, description="The original's: revenue per conversion (rpa).")
    fixed_click_amount: Amount | None = Field(default=None, description="The original's: payout per click (cpc).")
    fixed_conversion_amount: Amount | None = Field(
        default=None, description="The original's: payout per conversion (cpa, or cpa_cps with a percentage).")
    percentage_conversion_amount: Percentage | None = Field(
        default=None, description="The original's: payout as % of the sale (cps, or cpa_cps with an amount).")


class CampaignCreate(CampaignFields):
    organization_id: PositiveId
    advertiser_id: PositiveId
    name: Name

    def values(self) -> dict[str, Any]:
        """The given values in the domain's terms (null means the default)."""
        return _domain_values(self.model_dump(exclude_none=True))


class CampaignUpdate(CampaignFields):
    """Partial update: an omitted field keeps its value; `organization_id`/`advertiser_id` cannot change."""

    organization_id: PositiveId | None = None
    advertiser_id: PositiveId | None = None
    name: Name | None = None

    def changes(self) -> dict[str, Any]:
        """The given values in the domain's terms; 422 for a null where a value is required."""
        given = self.model_dump(exclude_unset=True)
        nulls = sorted(name for name, value in given.items() if value is None and name in REQUIRED_VALUES)
        if nulls:
            raise ValidationFailed("The request is not valid.", details=[
                {"field": name, "location": "body", "message": "must not be null", "type": "value_error"}
                for name in nulls])
        return _domain_values(given)


def _domain_values(given: dict[str, Any]) -> dict[str, Any]:
    return {CENTS.get(name, name): (to_cents(value) if name in CENTS and value is not None else value)
            for name, value in given.items()}


class CampaignRead(ReadModel):
    campaign_id: int
    organization_id: int
    advertiser_id: int
    name: str
    description: str | None
    status: CampaignStatus
    start_date: date | None
    end_date: date | None
    destination_url: str | None
    thumbnail_url: str | None
    preview_url: str | None
    visibility: Visibility
    currency_id: str
    internal_notes: str | None
    conversion_method: ConversionMethod
    session_definition: SessionDefinition
    session_duration: int
    terms_and_conditions: str | None
    is_caps_enabled: bool
    daily_conversion_cap: int | None
    weekly_conversion_cap: int | None
    monthly_conversion_cap: int | None
    global_conversion_cap: int | None
    daily_click_cap: int | None
    weekly_click_cap: int | None
    monthly_click_cap: int | None
    global_click_cap: int | None
    billing_model: BillingModel
    payout_type: PayoutType
    payout_amount: Money
    payout_percentage: Money
    revenue_type: RevenueType
    revenue_amount: Money
    revenue_percentage: Money
    fixed_revenue: Money | None
    fixed_click_amount: Money | None
    fixed_conversion_amount: Money | None
    percentage_conversion_amount: Money | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class CampaignList(ReadModel):
    """The original's list shape; `total` counts every match, not just this page."""

    campaigns: list[CampaignRead]
    total: int
    total_is_lower_bound: bool = Field(
        default=False, description="More than `total` (10,000) campaigns match: counting stopped there.")
    page: int
    page_size: int


class CampaignListQuery(QueryModel):
    status: CampaignStatus | None = None
    visibility: Visibility | None = None
    search: Search | None = Field(default=None, description="Part of the name.")
    include_archived: bool = Field(default=False, description="Also list archived campaigns.")
    sort_by: CampaignSort = CampaignSort.CREATED_AT
    sort_order: SortOrder = SortOrder.DESC

    def filter(self, **owner: int) -> CampaignFilter:
        """The list filter, for one organization's or one advertiser's campaigns."""
        return CampaignFilter(status=self.status, visibility=self.visibility, search=self.search,
                              include_archived=self.include_archived, sort_by=self.sort_by,
                              descending=self.sort_order is SortOrder.DESC, **owner)


def campaign_read(campaign: Campaign) -> CampaignRead:
    values = asdict(campaign)
    legacy = legacy_amounts(campaign)
    return CampaignRead(
        **{k: v for k, v in values.items() if k not in {"payout_amount_cents", "revenue_amount_cents"}},
        billing_model=billing_model(campaign),
        payout_amount=money(campaign.payout_amount_cents),
        revenue_amount=money(campaign.revenue_amount_cents),
        fixed_revenue=_money_or_none(legacy.fixed_revenue),
        fixed_click_amount=_money_or_none(legacy.fixed_click_amount),
        fixed_conversion_amount=_money_or_none(legacy.fixed_conversion_amount),
        percentage_conversion_amount=legacy.percentage_conversion_amount,
    )


def _money_or_none(cents: int | None) -> Decimal | None:
    return None if cents is None else money(cents)
