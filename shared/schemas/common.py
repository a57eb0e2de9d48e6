"""Field types shared by the API's models."""

from __future__ import annotations

import enum
import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.errors import ValidationFailed
from shared.domain.reporting import zone

MARKUP_OR_CONTROL = re.compile(r"[<>\x00-\x1f\x7f]")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def plain_text(value: str) -> str:
    if MARKUP_OR_CONTROL.search(value):
        raise ValueError("must not contain markup or control characters")
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def _http_url(value: str) -> str:
    if not HTTP_URL.match(value):
        raise ValueError("must be an http(s) URL")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(plain_text)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_email)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_http_url)]
LongText = Annotated[str, StringConstraints(max_length=5_000)]


class StrictModel(BaseModel):
    """JSON bodies: unknown fields are refused and nothing is coerced (validated from JSON text)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class QueryModel(BaseModel):
    """Query strings: text is converted to the field's type; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


PositiveId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _cents(value: Decimal) -> Decimal:
    if value.is_nan() or value.is_infinite() or value < 0:
        raise ValueError("must be a non-negative amount")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places")
    return value


# Money at the edge: a JSON number or string parsed exactly (never through float), stored as cents.
Amount = Annotated[Decimal, Field(max_digits=15, decimal_places=2), AfterValidator(_cents)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Percentage = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


def _time_zone(name: str) -> str:
    try:
        zone(name)
    except ValidationFailed:
        raise ValueError("must be an IANA time zone, such as America/New_York") from None
    return name


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]


def to_cents(amount: Decimal) -> int:
    return int(amount * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class SortOrder(enum.StrEnum):
    ASC = "asc"
    DESC = "desc"
