"""Tracking links: one per (campaign, affiliate, source_id, sub1..sub5), inside an active partnership."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.paging import capped_total
from shared.domain.principal import TenantScope

PARAMETER_FIELDS = ("source_id", "sub1", "sub2", "sub3", "sub4", "sub5")
LINKABLE_CAMPAIGN_STATUSES = frozenset({"active", "paused"})
MAX_URL_LENGTH = 2_000


class TrackingLinkStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class QrFormat(enum.StrEnum):
    PNG = "png"
    SVG = "svg"

    @property
    def content_type(self) -> str:
        return "image/png" if self is QrFormat.PNG else "image/svg+xml"


@dataclass(frozen=True)
class LinkParameters:
    """The sub-ids that make a link unique; empty and missing are the same (None)."""

    source_id: str | None = None
    sub1: str | None = None
    sub2: str | None = None
    sub3: str | None = None
    sub4: str | None = None
    sub5: str | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> LinkParameters:
        return cls(**{name: normalise(values.get(name)) for name in PARAMETER_FIELDS})


def normalise(value: str | None) -> str | None:
    return value or None


@dataclass(frozen=True)
class LinkRequest:
    """What a tracking URL is generated from (the Everflow options are passed through, never stored)."""

    campaign_id: int
    affiliate_id: int
    parameters: LinkParameters
    is_encrypt_parameters: bool = False
    is_redirect_link: bool = False
    options: dict[str, int] = field(default_factory=dict)


class TrackingUrlGenerator(Protocol):
    """The port that turns a link's parameters into its tracking URL (None: not available yet)."""

    def generate(self, link_params: LinkRequest) -> str | None: ...


class PendingTrackingUrl:
    """No URL now: the `tracking_link.created`/`updated` event lets a handler generate it later."""

    def generate(self, link_params: LinkRequest) -> str | None:
        return None


@dataclass(frozen=True)
class TrackingLink:
    tracking_link_id: int
    organization_id: int  # the campaign's organization
    affiliate_org_id: int
    campaign_id: int
    affiliate_id: int
    name: str
    description: str | None
    status: TrackingLinkStatus
    tracking_url: str | None
    source_id: str | None
    sub1: str | None
    sub2: str | None
    sub3: str | None
    sub4: str | None
    sub5: str | None
    is_encrypt_parameters: bool
    is_redirect_link: bool
    internal_notes: str | None
    tags: list[str]
    qr_code_object: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def parameters(self) -> LinkParameters:
        return LinkParameters(**{name: getattr(self, name) for name in PARAMETER_FIELDS})

    def request(self) -> LinkRequest:
        return LinkRequest(self.campaign_id, self.affiliate_id, self.parameters,
                           self.is_encrypt_parameters, self.is_redirect_link)

    def fields(self) -> dict[str, Any]:
        """The entity's fields, as events and audit entries carry them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in {"created_at", "updated_at"}}


@dataclass(frozen=True)
class Party:
    """A campaign or an affiliate, as far as a link cares: its organization and status."""

    id: int
    organization_id: int
    status: str


@dataclass(frozen=True)
class Partnership:
    status: str
    all_campaigns_visible: bool
    visible_campaign_ids: frozenset[int]
    all_affiliates_visible: bool
    visible_affiliate_ids: frozenset[int]

    @property
    def active(self) -> bool:
        return self.status == "active"

    def covers_campaign(self, campaign_id: int) -> bool:
        return self.all_campaigns_visible or campaign_id in self.visible_campaign_ids

    def covers_affiliate(self, affiliate_id: int) -> bool:
        return self.all_affiliates_visible or affiliate_id in self.visible_affiliate_ids


@dataclass(frozen=True)
class LinkParties:
    """The campaign, the affiliate and the partnership between their organizations (None: absent)."""

    campaign: Party | None
    affiliate: Party | None
    partnership: Partnership | None


def check_link_allowed(parties: LinkParties, campaign_id: int, affiliate_id: int, scope: TenantScope) -> None:
    """404 for what the caller cannot see, then 409 for what the partnership or the statuses forbid.

    Your own side's campaign or affiliate is always visible; the other side's only through an active
    partnership whose visibility covers it.
    """
    campaign, affiliate, partnership = parties.campaign, parties.affiliate, parties.partnership
    shared = partnership if partnership is not None and partnership.active else None
    on_a_side = any(p is not None and scope.allows(p.organization_id) for p in (campaign, affiliate))
    if campaign is None or not on_a_side or not (
            scope.allows(campaign.organization_id) or (shared is not None and shared.covers_campaign(campaign.id))):
        raise NotFound(f"Campaign {campaign_id} was not found.")
    if affiliate is None or not (
            scope.allows(affiliate.organization_id) or (shared is not None and shared.covers_affiliate(affiliate.id))):
        raise NotFound(f"Affiliate {affiliate_id} was not found.")
    _check_partnership(partnership, campaign, affiliate)
    _check_statuses(campaign, affiliate)


def _check_partnership(partnership: Partnership | None, campaign: Party, affiliate: Party) -> None:
    if partnership is None or not partnership.active:
        raise Conflict("The campaign's and the affiliate's organizations have no active partnership.")
    if not partnership.covers_campaign(campaign.id):
        raise Conflict(f"Campaign {campaign.id} is not visible to the affiliate's organization.")
    if not partnership.covers_affiliate(affiliate.id):
        raise Conflict(f"Affiliate {affiliate.id} is not visible to the campaign's organization.")


def _check_statuses(campaign: Party, affiliate: Party) -> None:
    if campaign.status not in LINKABLE_CAMPAIGN_STATUSES:
        raise Conflict(f"Campaign {campaign.id} is {campaign.status}; links need an active or paused campaign.")
    if affiliate.status == "archived":
        raise Conflict(f"Affiliate {affiliate.id} is archived.")


def plan_update(current: TrackingLink, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes that really change something; archived links are final."""
    effective = {k: v for k, v in changes.items() if getattr(current, k) != v}
    if effective and current.status is TrackingLinkStatus.ARCHIVED:
        raise Conflict(f"Tracking link {current.tracking_link_id} is archived; archived links cannot change.")
    return effective


def parameters_changed(changes: dict[str, Any]) -> bool:
    return any(name in changes for name in PARAMETER_FIELDS)


def event_type(before: TrackingLink, after: TrackingLink) -> str:
    archived = after.status is TrackingLinkStatus.ARCHIVED and before.status is not TrackingLinkStatus.ARCHIVED
    return "tracking_link.archived" if archived else "tracking_link.updated"


def check_tracking_url(url: str) -> str:
    if not url.lower().startswith(("https://", "http://")) or len(url) > MAX_URL_LENGTH or any(
            c.isspace() or ord(c) < 32 for c in url):
        raise ValidationFailed("The tracking URL must be an http(s) URL.", details=[
            {"field": "tracking_url", "location": "body", "message": "must be an http(s) URL of at most "
             f"{MAX_URL_LENGTH} characters", "type": "value_error"}])
    return url


def qr_stem(tracking_link_id: int, url: str) -> str:
    """Where a link's QR images live (`<stem>.png`, `<stem>.svg`): a new URL gets new objects."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:20]
    return f"qr/tracking-links/{tracking_link_id}/{digest}"


@dataclass(frozen=True)
class LinkFilter:
    """Which links a list shows, inside the caller's scope (either side of a link sees it)."""

    campaign_ids: tuple[int, ...] = ()
    affiliate_ids: tuple[int, ...] = ()
    status: TrackingLinkStatus | None = None
    organization_id: int | None = None  # links of which this organization is either side


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int = 0


@dataclass(frozen=True)
class LinkPage:
    items: list[TrackingLink]
    total: int
    window: Window
    total_is_lower_bound: bool = False

    @classmethod
    def counted(cls, items: list[TrackingLink], matched: int, window: Window) -> LinkPage:
        """A page whose total comes from a count that stopped at TOTAL_CAP + 1 rows."""
        total, lower_bound = capped_total(matched)
        return cls(items, total, window, lower_bound)

    @property
    def page(self) -> int:
        return self.window.offset // self.window.limit + 1

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.window.limit)
