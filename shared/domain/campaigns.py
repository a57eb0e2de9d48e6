"""Campaigns: an advertiser's offer, its fields and lifecycle (payout and revenue: campaign_terms)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.campaign_terms import ZERO, PayoutType, RevenueType, billing_model, problem, terms_problems
from shared.domain.errors import Conflict, ValidationFailed


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    REQUIRE_APPROVAL = "require_approval"
    PRIVATE = "private"


class ConversionMethod(enum.StrEnum):
    """Everflow's values; the original's `pixel` is read as `https_image_pixel`."""

    SERVER_POSTBACK = "server_postback"
    HTTP_IMAGE_PIXEL = "http_image_pixel"
    HTTPS_IMAGE_PIXEL = "https_image_pixel"
    COOKIE_BASED = "cookie_based"
    HTTP_IFRAME_PIXEL = "http_iframe_pixel"
    HTTPS_IFRAME_PIXEL = "https_iframe_pixel"
    JAVASCRIPT = "javascript"


class SessionDefinition(enum.StrEnum):
    """Everflow's values; the original's `fingerprint` is read as `ip_user_agent`."""

    COOKIE = "cookie"
    IP = "ip"
    IP_USER_AGENT = "ip_user_agent"
    GOOGLE_AD_ID = "google_ad_id"
    IDFA = "idfa"


LEGACY_CONVERSION_METHODS = {"pixel": ConversionMethod.HTTPS_IMAGE_PIXEL}
LEGACY_SESSION_DEFINITIONS = {"fingerprint": SessionDefinition.IP_USER_AGENT}

TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.ACTIVE, CampaignStatus.ARCHIVED}),
    CampaignStatus.ACTIVE: frozenset({CampaignStatus.PAUSED}),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.ACTIVE, CampaignStatus.ARCHIVED}),
    CampaignStatus.ARCHIVED: frozenset(),
}
INITIAL_STATUSES = frozenset({CampaignStatus.DRAFT, CampaignStatus.ACTIVE})


@dataclass(frozen=True, kw_only=True)
class CampaignSpec:
    """Everything a campaign is made of before it has an id; defaults are the database's."""

    organization_id: int
    advertiser_id: int
    name: str
    description: str | None = None
    status: CampaignStatus = CampaignStatus.DRAFT
    start_date: date | None = None
    end_date: date | None = None
    destination_url: str | None = None
    thumbnail_url: str | None = None
    preview_url: str | None = None
    visibility: Visibility = Visibility.PUBLIC
    currency_id: str = "USD"
    internal_notes: str | None = None
    conversion_method: ConversionMethod = ConversionMethod.SERVER_POSTBACK
    session_definition: SessionDefinition = SessionDefinition.COOKIE
    session_duration: int = 24
    terms_and_conditions: str | None = None
    is_caps_enabled: bool = False
    daily_conversion_cap: int | None = None
    weekly_conversion_cap: int | None = None
    monthly_conversion_cap: int | None = None
    global_conversion_cap: int | None = None
    daily_click_cap: int | None = None
    weekly_click_cap: int | None = None
    monthly_click_cap: int | None = None
    global_click_cap: int | None = None
    payout_type: PayoutType = PayoutType.CPA
    payout_amount_cents: int = 0
    payout_percentage: Decimal = ZERO
    revenue_type: RevenueType = RevenueType.RPA
    revenue_amount_cents: int = 0
    revenue_percentage: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class Campaign(CampaignSpec):
    campaign_id: int
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


class CampaignSort(enum.StrEnum):
    CAMPAIGN_ID = "campaign_id"
    NAME = "name"
    STATUS = "status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    START_DATE = "start_date"
    END_DATE = "end_date"


@dataclass(frozen=True, kw_only=True)
class CampaignFilter:
    """Which campaigns a list shows, in what order; archived ones only when asked for."""

    organization_id: int | None = None
    advertiser_id: int | None = None
    status: CampaignStatus | None = None
    visibility: Visibility | None = None
    search: str | None = None
    include_archived: bool = False
    sort_by: CampaignSort = CampaignSort.CREATED_AT
    descending: bool = True


@dataclass(frozen=True)
class AdvertiserRef:
    """What a campaign needs to know about its advertiser."""

    advertiser_id: int
    organization_id: int
    status: str

    @property
    def archived(self) -> bool:
        return self.status == "archived"


def check_campaign(spec: CampaignSpec) -> None:
    """422 listing every rule the campaign breaks (dates, payout and revenue, what going live needs)."""
    problems = terms_problems(spec)
    if spec.start_date and spec.end_date and spec.end_date < spec.start_date:
        problems.append(problem("end_date", "must not be before start_date"))
    if spec.status is CampaignStatus.ACTIVE and not spec.destination_url:
        problems.append(problem("destination_url", "is required for an active campaign"))
    if problems:
        raise ValidationFailed("The campaign is not valid.", details=problems)


def check_initial_status(status: CampaignStatus) -> None:
    if status not in INITIAL_STATUSES:
        raise ValidationFailed("A campaign starts as draft or active.",
                               details=[problem("status", "must be draft or active when creating")])


def check_editable(status: CampaignStatus) -> None:
    if status is CampaignStatus.ARCHIVED:
        raise Conflict("The campaign is archived; an archived campaign cannot be changed or reactivated.")


def check_transition(current: CampaignStatus, target: CampaignStatus) -> None:
    """409 unless draft -> active|archived, active -> paused, paused -> active|archived (or no change)."""
    if target is current:
        return
    check_editable(current)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current]))
        hint = " Pause it first." if target is CampaignStatus.ARCHIVED else ""
        raise Conflict(f"The campaign is {current} and cannot become {target} (it can become: {allowed}).{hint}")


AUDIT_EXCLUDED = frozenset({"campaign_id", "version", "created_at", "updated_at", "archived_at"})


def audited_fields(spec: CampaignSpec) -> dict[str, Any]:
    """The fields an audit entry compares."""
    return {k: v for k, v in asdict(spec).items() if k not in AUDIT_EXCLUDED}


def event_payload(campaign: Campaign) -> dict[str, Any]:
    """The campaign as plain JSON values (cents as integers, percentages and dates as text)."""
    values = {k: _plain(v) for k, v in asdict(campaign).items()}
    values["billing_model"] = billing_model(campaign).value
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime, a subclass
        return value.isoformat()
    return value
