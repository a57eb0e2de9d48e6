"""Request and response models of the tracking-links API (the original's JSON field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, field_validator

from shared.domain.tracking_links import (
    PARAMETER_FIELDS,
    LinkFilter,
    LinkPage,
    LinkParameters,
    LinkRequest,
    QrFormat,
    TrackingLink,
    TrackingLinkStatus,
    Window,
    normalise,
)
from shared.schemas.common import LongText, Name, PositiveId, QueryModel, ReadModel, StrictModel, plain_text

DEFAULT_PAGE_SIZE = 20  # the original's default `limit`
MAX_IDS = 100

# A sub-id travels in the tracking URL; surrounding blanks are dropped and an empty one means none.
SubId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(plain_text)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(plain_text)]
Tags = Annotated[list[Tag], Field(max_length=50)]
NOT_NULL = ("name", "status", "is_encrypt_parameters", "is_redirect_link", "tags")


def _id_list(value: Any) -> Any:
    """`1,2,3` (the original's format) as a list of ids; anything else is left to the type check."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


IdList = Annotated[list[PositiveId], BeforeValidator(_id_list), Field(max_length=MAX_IDS)]


class TrackingLinkCreate(StrictModel):
    name: Name
    campaign_id: PositiveId
    affiliate_id: PositiveId
    description: LongText | None = None
    source_id: SubId | None = None
    sub1: SubId | None = None
    sub2: SubId | None = None
    sub3: SubId | None = None
    sub4: SubId | None = None
    sub5: SubId | None = None
    is_encrypt_parameters: bool = False
    is_redirect_link: bool = False
    internal_notes: LongText | None = None
    tags: Tags = Field(default_factory=list)
    # Everflow generation options the original accepted (and dropped): passed to the URL generator.
    network_tracking_domain_id: PositiveId | None = None
    network_offer_url_id: PositiveId | None = None
    creative_id: PositiveId | None = None
    network_traffic_source_id: PositiveId | None = None

    def link_request(self) -> LinkRequest:
        options = self.model_dump(include={"network_tracking_domain_id", "network_offer_url_id", "creative_id",
                                           "network_traffic_source_id"}, exclude_none=True)
        return LinkRequest(self.campaign_id, self.affiliate_id, LinkParameters.of(self.model_dump()),
                           self.is_encrypt_parameters, self.is_redirect_link, options)

    def values(self) -> dict[str, Any]:
        """The columns of a new link (organizations come from the campaign and the affiliate)."""
        values = self.model_dump(include={"name", "campaign_id", "affiliate_id", "description",
                                          "is_encrypt_parameters", "is_redirect_link", "internal_notes", "tags"})
        return values | {name: normalise(getattr(self, name)) for name in PARAMETER_FIELDS}


class TrackingLinkUpdate(StrictModel):
    """Partial update: an omitted field keeps its value; null clears a text field."""

    name: Name | None = None
    description: LongText | None = None
    status: TrackingLinkStatus | None = None
    source_id: SubId | None = None
    sub1: SubId | None = None
    sub2: SubId | None = None
    sub3: SubId | None = None
    sub4: SubId | None = None
    sub5: SubId | None = None
    is_encrypt_parameters: bool | None = None
    is_redirect_link: bool | None = None
    internal_notes: LongText | None = None
    tags: Tags | None = None

    @field_validator(*NOT_NULL)
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        """Runs only for fields the body names (defaults are not validated): these may change, not vanish."""
        if value is None:
            raise ValueError("cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True)
        return changes | {k: normalise(v) for k, v in changes.items() if k in PARAMETER_FIELDS}


class TrackingLinkRead(ReadModel):
    tracking_link_id: int
    organization_id: int
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
    qr_code_url: str | None = Field(description="Serves the QR image of `tracking_url`; null until it exists.")
    created_at: datetime
    updated_at: datetime


class TrackingLinkCreated(ReadModel):
    tracking_link: TrackingLinkRead
    generated_url: str | None
    qr_code_url: str | None
    is_new: bool


class TrackingLinkList(ReadModel):
    tracking_links: list[TrackingLinkRead]
    total: int
    total_is_lower_bound: bool = Field(
        default=False, description="More than `total` (10,000) links match: counting stopped there.")
    page: int
    page_size: int
    total_pages: int


class TrackingLinkListQuery(QueryModel):
    """Filters, and paging by `limit`/`offset` (the original's) or by `page`/`page_size`."""

    campaign_ids: IdList | None = None
    affiliate_ids: IdList | None = None
    status: TrackingLinkStatus | None = None
    limit: int | None = Field(default=None, ge=1, le=999_999_999)
    offset: int | None = Field(default=None, ge=0, le=999_999_999_999)
    page: int | None = Field(default=None, ge=1, le=999_999_999)
    page_size: int | None = Field(default=None, ge=1, le=999_999_999)

    def window(self, max_size: int) -> Window:
        """`limit`/`offset` when either is given, else `page`/`page_size`; sizes past the maximum are capped."""
        size = min(self.limit or self.page_size or DEFAULT_PAGE_SIZE, max_size)
        if self.limit is not None or self.offset is not None:
            return Window(size, self.offset or 0)
        return Window(size, ((self.page or 1) - 1) * size)

    def filter(self, organization_id: int | None = None) -> LinkFilter:
        return LinkFilter(tuple(self.campaign_ids or ()), tuple(self.affiliate_ids or ()), self.status,
                          organization_id)


class QrQuery(QueryModel):
    format: QrFormat = QrFormat.PNG


def qr_code_url(link: TrackingLink, base_url: str) -> str | None:
    """The original's QR route under the campaign's organization; none before the link has a URL."""
    if link.tracking_url is None:
        return None
    return f"{base_url.rstrip('/')}/api/v1/organizations/{link.organization_id}/tracking-links/" \
           f"{link.tracking_link_id}/qr"


def tracking_link_read(link: TrackingLink, base_url: str) -> TrackingLinkRead:
    return TrackingLinkRead.model_validate(link.fields() | {"created_at": link.created_at,
                                                            "updated_at": link.updated_at,
                                                            "qr_code_url": qr_code_url(link, base_url)})


def tracking_link_created(link: TrackingLink, is_new: bool, base_url: str) -> TrackingLinkCreated:
    read = tracking_link_read(link, base_url)
    return TrackingLinkCreated(tracking_link=read, generated_url=link.tracking_url, qr_code_url=read.qr_code_url,
                               is_new=is_new)


def tracking_link_list(page: LinkPage, base_url: str) -> TrackingLinkList:
    return TrackingLinkList(tracking_links=[tracking_link_read(link, base_url) for link in page.items],
                            total=page.total, total_is_lower_bound=page.total_is_lower_bound, page=page.page,
                            page_size=page.window.limit, total_pages=page.total_pages)
