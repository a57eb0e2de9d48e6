"""Request and response models of the affiliates API (the original's JSON field names)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from shared.domain.affiliates import (
    Affiliate,
    AffiliateBillingInfo,
    AffiliateFilter,
    AffiliateSort,
    AffiliateStatus,
    ContactAddress,
    normalized_labels,
)
from shared.domain.billing import AffiliatePaymentType, BillingFrequency, BillingSchedule, PaymentDetails
from shared.schemas.billing import BillingScheduleIn, Code, CountryCode, PaymentDetailsIn, Text
from shared.schemas.common import (
    Amount,
    Currency,
    Email,
    LongText,
    Name,
    PositiveId,
    QueryModel,
    ReadModel,
    SortOrder,
    StrictModel,
    from_cents,
    plain_text,
    to_cents,
)


def settable_status(status: AffiliateStatus) -> AffiliateStatus:
    if status is AffiliateStatus.ARCHIVED:
        raise ValueError("archive with DELETE instead")
    return status


Status = Annotated[AffiliateStatus, AfterValidator(settable_status)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                  AfterValidator(plain_text)]
Search = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
PaymentKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
PaymentText = Annotated[str, StringConstraints(max_length=500), AfterValidator(plain_text)]
REQUIRED = ("name", "status", "default_currency_id", "labels")
NESTED = frozenset({"payment_details", "contact_address", "billing_info"})  # value objects with `to_domain()`


class ContactAddressIn(StrictModel):
    address_1: Text
    address_2: Text | None = None
    city: Text
    region_code: Code | None = None
    country_code: CountryCode
    zip_postal_code: Code | None = None

    def to_domain(self) -> ContactAddress:
        return ContactAddress(**self.model_dump())


class AffiliateBillingInfoIn(StrictModel):
    billing_frequency: BillingFrequency | None = None
    payment_type: AffiliatePaymentType | None = None
    tax_id: Code | None = None
    details: BillingScheduleIn | None = None
    payment: dict[PaymentKey, PaymentText] = Field(
        default_factory=dict, max_length=30, description="Everflow's payee fields for the payment type")

    def to_domain(self) -> AffiliateBillingInfo:
        values = self.model_dump(exclude={"details"})
        details = BillingSchedule(**self.details.model_dump()) if self.details else None
        return AffiliateBillingInfo(**values, details=details)


class _AffiliateSettings(StrictModel):
    """The fields a client may set on create and change on update."""

    contact_email: Email | None = None
    payment_details: PaymentDetailsIn | None = None
    internal_notes: LongText | None = None
    contact_address: ContactAddressIn | None = None
    billing_info: AffiliateBillingInfoIn | None = None
    invoice_amount_threshold: Amount | None = None
    default_payment_terms: Annotated[int, Field(ge=0, le=365)] | None = None

    def values(self, *, only_given: bool) -> dict[str, Any]:
        """The fields as domain values (all of them, or only those in the body)."""
        converted = {*NESTED, "invoice_amount_threshold"}
        values = self.model_dump(exclude=converted | {"organization_id"}, exclude_unset=only_given)
        wanted = converted if not only_given else converted & self.model_fields_set
        for name in wanted & NESTED:
            model = getattr(self, name)
            values[name] = model.to_domain() if model is not None else None
        if "invoice_amount_threshold" in wanted:
            threshold = self.invoice_amount_threshold
            values["invoice_amount_threshold_cents"] = None if threshold is None else to_cents(threshold)
        if "labels" in values:
            values["labels"] = normalized_labels(values["labels"])
        return values


class AffiliateCreate(_AffiliateSettings):
    name: Name
    organization_id: PositiveId
    status: Status = AffiliateStatus.PENDING
    default_currency_id: Currency = "USD"
    labels: list[Label] = Field(default_factory=list, max_length=50)


class AffiliateUpdate(_AffiliateSettings):
    """Partial update: an omitted field keeps its value; a nested object given replaces the stored one."""

    name: Name | None = None
    status: Status | None = None
    default_currency_id: Currency | None = None
    labels: list[Label] | None = Field(default=None, max_length=50)

    @field_validator(*REQUIRED)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class AffiliateRead(ReadModel):
    affiliate_id: int
    organization_id: int
    name: str
    status: AffiliateStatus
    contact_email: str | None
    payment_details: PaymentDetails | None
    internal_notes: str | None
    default_currency_id: str
    contact_address: ContactAddress | None
    billing_info: AffiliateBillingInfo | None
    labels: list[str]
    invoice_amount_threshold: Decimal | None
    default_payment_terms: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _from_domain(cls, data: Any) -> Any:
        if not isinstance(data, Affiliate):
            return data
        cents = data.invoice_amount_threshold_cents
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "invoice_amount_threshold"}
        return {**fields, "invoice_amount_threshold": None if cents is None else from_cents(cents)}


class AffiliateListQuery(QueryModel):
    status: AffiliateStatus | None = None
    search: Search | None = Field(default=None, description="Part of the name, any case")
    sort_by: AffiliateSort = AffiliateSort.AFFILIATE_ID
    sort_order: SortOrder = SortOrder.ASC
    include_archived: bool = False

    def to_filter(self) -> AffiliateFilter:
        return AffiliateFilter(status=self.status, search=self.search or None,
                               include_archived=self.include_archived, sort_by=self.sort_by,
                               descending=self.sort_order is SortOrder.DESC)


def affiliate_read(affiliate: Affiliate) -> AffiliateRead:
    return AffiliateRead.model_validate(affiliate)

