"""Request and response models of the favourite publisher lists API (the original's `{message, data}` shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from shared.domain.favourite_lists import FavouriteList, ItemStatus, ListItem, is_domain, normalize_domain
from shared.domain.paging import PageRequest
from shared.schemas.common import Name, PositiveId, QueryModel, ReadModel, StrictModel

MAX_PAGE_SIZE = 100


def _domain(value: str) -> str:
    domain = normalize_domain(value)
    if not is_domain(domain):
        raise ValueError("must be a domain name such as example.com")
    return domain


PublisherDomain = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_domain)]
Description = Annotated[str, StringConstraints(max_length=1_000)]
Notes = Annotated[str, StringConstraints(max_length=1_000)]


class OrganizationQuery(QueryModel):
    organization_id: PositiveId | None = Field(
        default=None, description="Admin and PlatformOwner: act on this organization (default: your own).")


class PageQuery(QueryModel):
    """`page`/`page_size` (default: the first 100, so clients of the original, which did not page, see all)."""

    page: int = Field(default=1, ge=1, le=999_999_999)
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=999_999_999, description="At most 100 (lowered).")

    def request(self) -> PageRequest:
        return PageRequest(self.page, min(self.page_size, MAX_PAGE_SIZE))


class FavouriteListCreate(StrictModel):
    name: Name
    description: Description | None = None


class FavouriteListUpdate(StrictModel):
    """Partial update; `null` clears the description."""

    name: Name | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> Self:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class ListItemCreate(StrictModel):
    publisher_domain: PublisherDomain
    notes: Notes | None = None
    status: ItemStatus = ItemStatus.ADDED


class ListItemUpdate(StrictModel):
    """The notes (`null` clears them); the status changes through PATCH .../status."""

    notes: Notes | None = None


class ItemStatusUpdate(StrictModel):
    status: ItemStatus = Field(description="added -> contacted -> accepted; contacted -> added and accepted ->"
                                           " contacted step back; the same status is a no-op.")


class ListPageQuery(PageQuery, OrganizationQuery):
    pass


class ItemListQuery(PageQuery):
    include_details: bool = Field(default=False, description="Join each publisher's intelligence record.")


class SearchQuery(OrganizationQuery):
    domain: PublisherDomain


class FavouriteListRead(ReadModel):
    list_id: int
    organization_id: int
    name: str
    description: str | None
    publisher_count: int
    created_at: datetime
    updated_at: datetime


class ListItemRead(ReadModel):
    item_id: int
    list_id: int
    publisher_domain: str
    notes: str | None
    status: ItemStatus
    added_at: datetime
    updated_at: datetime
    publisher: dict[str, Any] | None = Field(
        default=None, description="With include_details=true: the publisher's intelligence record (null if unknown).")


class Acknowledgement(ReadModel):
    message: str


class FavouriteListReply(Acknowledgement):
    data: FavouriteListRead


class FavouriteListsReply(Acknowledgement):
    data: list[FavouriteListRead]


class ListItemReply(Acknowledgement):
    data: ListItemRead


class ListItemsReply(Acknowledgement):
    data: list[ListItemRead]


def list_read(favourite: FavouriteList) -> FavouriteListRead:
    return FavouriteListRead.model_validate(favourite)


def item_read(item: ListItem, publisher: dict[str, Any] | None = None) -> ListItemRead:
    return ListItemRead.model_validate({**item.__dict__, "publisher": publisher})
