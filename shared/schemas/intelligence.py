"""Request and response models of the intelligence data API (the original's JSON shapes).

A record is written as the vendor's document (`data`): the keys the search reads are checked for
shape; the other vendor keys are any JSON object (or null); unknown keys are kept as they came.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.errors import ValidationFailed
from shared.domain.intelligence import MAX_FILTER_VALUES, Kind, is_domain, normalize_domain
from shared.schemas.common import QueryModel, ReadModel, StrictModel

VendorValue = dict[str, Any] | None
Text = Annotated[str, StringConstraints(max_length=10_000)]
Link = Annotated[str, StringConstraints(max_length=2_000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
FilterList = Annotated[list[Label], Field(max_length=MAX_FILTER_VALUES)]


def _domain(value: str) -> str:
    domain = normalize_domain(value)
    if not is_domain(domain):
        raise ValueError("must be a domain name such as example.com")
    return domain


Domain = Annotated[str, StringConstraints(max_length=256), AfterValidator(_domain)]


class VendorModel(BaseModel):
    """A vendor object: the keys we read are typed, any other key is kept."""

    model_config = ConfigDict(extra="allow", strict=True)


class MetaData(StrictModel):
    description: Text | None = None
    favicon_image_url: Link | None = Field(default=None, alias="faviconImageUrl")
    screenshot_image_url: Link | None = Field(default=None, alias="screenshotImageUrl")


class CountryRank(VendorModel):
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(alias="countryCode")


class CountryRankings(VendorModel):
    value: list[CountryRank] | None = None


class Partners(VendorModel):
    count: Annotated[int, Field(ge=0)] | None = None
    value: list[Label] | None = None


class VerticalV2(VendorModel):
    name: Label


class VerticalsV2(VendorModel):
    value: list[VerticalV2] | None = None


class Known(StrictModel):
    value: bool


class Promotype(StrictModel):
    value: Annotated[str, StringConstraints(max_length=50)] | None = None


class AdvertiserData(VendorModel):
    domain: Domain | None = None
    meta_data: MetaData | None = Field(default=None, alias="metaData")
    affiliate_networks: VendorValue = Field(default=None, alias="affiliateNetworks")
    contact_emails: VendorValue = Field(default=None, alias="contactEmails")
    keywords: VendorValue = None
    verticals: VendorValue = None
    partner_information: VendorValue = Field(default=None, alias="partnerInformation")
    related_advertisers: VendorValue = Field(default=None, alias="relatedAdvertisers")
    social_media: VendorValue = Field(default=None, alias="socialMedia")
    backlinks: VendorValue = None


class PublisherData(VendorModel):
    domain: Domain | None = None
    meta_data: MetaData | None = Field(default=None, alias="metaData")
    relevance: Annotated[float, Field(ge=0, le=999.99)] | None = None
    traffic_score: Annotated[float, Field(ge=0, le=99_999_999.99)] | None = Field(default=None, alias="trafficScore")
    known: Known | None = None
    promotype: Promotype | None = None
    affiliate_networks: VendorValue = Field(default=None, alias="affiliateNetworks")
    country_rankings: CountryRankings | None = Field(default=None, alias="countryRankings")
    keywords: VendorValue = None
    verticals: VendorValue = None
    verticals_v2: VerticalsV2 | None = Field(default=None, alias="verticalsV2")
    partner_information: VendorValue = Field(default=None, alias="partnerInformation")
    partners: Partners | None = None
    related_publishers: VendorValue = Field(default=None, alias="relatedPublishers")
    social_media: VendorValue = Field(default=None, alias="socialMedia")
    live_urls: VendorValue = Field(default=None, alias="liveUrls")


class _Write(StrictModel):
    domain: Domain
    data: Any

    def document(self) -> dict[str, Any]:
        """The vendor document as sent (its keys as the vendor names them); 422 if it names another domain."""
        if self.data.domain is not None and self.data.domain != self.domain:
            raise ValidationFailed("The request is not valid.", details=[{
                "field": "data.domain", "location": "body", "message": "must be the record's domain",
                "type": "value_error"}])
        return dict(self.data.model_dump(by_alias=True, exclude_unset=True))


class AdvertiserIntelWrite(_Write):
    """Insert or replace the record of one advertiser domain (platform administrators only)."""

    data: AdvertiserData


class PublisherIntelWrite(_Write):
    """Insert or replace the record of one publisher domain (platform administrators only)."""

    data: PublisherData


def _kind(value: str) -> str:
    if value and value not in set(Kind):
        raise ValueError("must be advertiser, publisher or both")
    return value


class AutocompleteQuery(QueryModel):
    q: str | None = Field(default=None, description="At least 3 characters of a domain.")
    type: Annotated[str, AfterValidator(_kind)] | None = Field(
        default=None, description="advertiser, publisher or both (default; empty means both).")
    limit: int | None = Field(default=None, description="1-50 (default 10; more is lowered to 50).")

    @property
    def kind(self) -> Kind:
        return Kind(self.type) if self.type else Kind.BOTH


class SearchQuery(QueryModel):
    """GET filters; lists are comma-separated. `page`/`pageSize` also override a POST body's paging."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True)  # pageSize or page_size

    domain: str | None = Field(default=None, max_length=255)
    country: str | None = Field(default=None, max_length=8)
    partner_domains: str | None = Field(default=None, max_length=6_000, description="Comma-separated domains.")
    verticals: str | None = Field(default=None, max_length=6_000, description="Comma-separated names.")
    page: int | None = Field(default=None, ge=1, le=1_000_000)
    page_size: int | None = Field(default=None, ge=1, le=1_000_000, alias="pageSize")

    def lists(self) -> tuple[list[str], list[str]]:
        return _split(self.partner_domains), _split(self.verticals)


class SearchBody(StrictModel):
    """The original's body: `offset` is the page size (as the original named it)."""

    domain: Annotated[str, StringConstraints(max_length=255)] | None = None
    country: Annotated[str, StringConstraints(max_length=8)] | None = None
    partner_domains: FilterList | None = None
    verticals: FilterList | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    offset: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(default=None, description="The page size.")


class SuggestionRead(ReadModel):
    id: int
    domain: str
    type: Kind
    name: str = Field(description="The domain (as the original answered).")


class SuggestionsEnvelope(ReadModel):
    message: str
    data: list[SuggestionRead]


class AdvertiserPayload(ReadModel):
    advertiser: dict[str, Any] = Field(description="id, domain, metaData and the vendor's keys as written.")


class PublisherPayload(ReadModel):
    publisher: dict[str, Any] = Field(description="id, domain, relevance, trafficScore, known, promotype, "
                                                  "metaData and the vendor's keys as written.")


class AdvertiserEnvelope(ReadModel):
    message: str
    data: AdvertiserPayload


class PublisherEnvelope(ReadModel):
    message: str
    data: PublisherPayload


class SearchResult(ReadModel):
    data: list[PublisherPayload]
    total: int = Field(description="Exact up to 10,000; past it 10,000 and total_is_lower_bound.")
    total_is_lower_bound: bool
    page: int
    offset: int = Field(description="The page size (the original's name).")
    page_size: int


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part.strip()]
