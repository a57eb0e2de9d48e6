"""Intelligence data about advertiser and publisher domains, and the rules of searching it.

A record is stored as the vendor sent it: each vendor key (`affiliateNetworks`, `partners`, ...) in a
column of its own, `metaData` spread over three text columns, and any other key kept in
`additional_data`, so a record reads back as the document that was written.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.domain.errors import ValidationFailed

MIN_QUERY_LENGTH = 3
DEFAULT_SUGGESTIONS = 10
MAX_SUGGESTIONS = 50
MAX_FILTER_VALUES = 20
DOMAIN = re.compile(r"^(?=.{1,255}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
DOMAIN_TEXT = re.compile(r"^[a-z0-9.-]{1,255}$")
META_COLUMNS = {"description": "description", "faviconImageUrl": "favicon_image_url",
                "screenshotImageUrl": "screenshot_image_url"}
ADVERTISER_KEYS = {"affiliateNetworks": "affiliate_networks", "contactEmails": "contact_emails",
                   "keywords": "keywords", "verticals": "verticals", "partnerInformation": "partner_information",
                   "relatedAdvertisers": "related_advertisers", "socialMedia": "social_media",
                   "backlinks": "backlinks"}
PUBLISHER_KEYS = {"affiliateNetworks": "affiliate_networks", "countryRankings": "country_rankings",
                  "keywords": "keywords", "verticals": "verticals", "verticalsV2": "verticals_v2",
                  "partnerInformation": "partner_information", "partners": "partners",
                  "relatedPublishers": "related_publishers", "socialMedia": "social_media", "liveUrls": "live_urls"}
PUBLISHER_SCALARS = ("relevance", "trafficScore", "known", "promotype")


class Kind(enum.StrEnum):
    ADVERTISER = "advertiser"
    PUBLISHER = "publisher"
    BOTH = "both"


@dataclass(frozen=True)
class IntelRecord:
    """One domain's record: its columns as stored (vendor objects as parsed JSON)."""

    id: int
    domain: str
    columns: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Suggestion:
    id: int
    domain: str
    type: Kind


@dataclass(frozen=True)
class Criteria:
    """A publisher search: every given filter must hold (see docs/decisions.md for the ranking)."""

    domain: str | None = None
    country: str | None = None
    partner_domains: tuple[str, ...] = ()
    verticals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Written:
    record: IntelRecord
    before: IntelRecord | None = None

    @property
    def created(self) -> bool:
        return self.before is None


def normalize_domain(value: str) -> str:
    """A domain as stored: trimmed, lower case, without a trailing dot."""
    return value.strip().lower().rstrip(".")


def is_domain(value: str) -> bool:
    return bool(DOMAIN.match(value))


def suggestion_text(q: str | None) -> str:
    """The autocomplete text: at least three characters of a domain (422 otherwise)."""
    text = normalize_domain(q or "")
    if len(text) < MIN_QUERY_LENGTH:
        raise _invalid("q", f"must be at least {MIN_QUERY_LENGTH} characters")
    if not DOMAIN_TEXT.match(text):
        raise _invalid("q", "may contain only letters, digits, dots and hyphens")
    return text


def suggestion_limit(limit: int | None) -> int:
    """10 when absent; a limit past the cap is lowered to it (the original reset it to 10)."""
    if limit is None:
        return DEFAULT_SUGGESTIONS
    if limit < 1:
        raise _invalid("limit", "must be a positive integer")
    return min(limit, MAX_SUGGESTIONS)


def criteria(domain: str | None, country: str | None, partner_domains: list[str] | None,
             verticals: list[str] | None, *, location: str = "query") -> Criteria:
    """Normalized filters: lower case, blanks dropped, duplicates removed, each list at most 20 values."""
    text = normalize_domain(domain) if domain else None
    if text is not None and text and not DOMAIN_TEXT.match(text):
        raise _invalid("domain", "may contain only letters, digits, dots and hyphens", location)
    code = country.strip().lower() if country else None
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise _invalid("country", "must be an ISO 3166-1 alpha-2 code such as US", location)
    partners = _distinct(normalize_domain(d) for d in partner_domains or ())
    names = _distinct(" ".join(v.split()).lower() for v in verticals or ())
    for name, values in (("partner_domains", partners), ("verticals", names)):
        if len(values) > MAX_FILTER_VALUES:
            raise _invalid(name, f"at most {MAX_FILTER_VALUES} values", location)
    return Criteria(text or None, code or None, partners, names)


def advertiser_columns(document: dict[str, Any]) -> dict[str, Any]:
    """The columns of an advertiser record from the vendor's document."""
    return _columns(document, ADVERTISER_KEYS, ())


def publisher_columns(document: dict[str, Any]) -> dict[str, Any]:
    """The columns of a publisher record from the vendor's document (scalars unwrapped)."""
    columns = _columns(document, PUBLISHER_KEYS, PUBLISHER_SCALARS)
    columns["relevance"] = Decimal(str(document.get("relevance") or 0))
    columns["traffic_score"] = Decimal(str(document.get("trafficScore") or 0))
    columns["known"] = bool((document.get("known") or {}).get("value", False))
    columns["promotype"] = (document.get("promotype") or {}).get("value")
    return columns


def advertiser_document(record: IntelRecord) -> dict[str, Any]:
    """The original's `advertiser` object: the vendor's keys, plus our id."""
    return {"id": record.id, "domain": record.domain, **_document(record, ADVERTISER_KEYS)}


def publisher_document(record: IntelRecord) -> dict[str, Any]:
    """The original's `publisher` object: the vendor's keys with scalars re-wrapped, plus our id."""
    c = record.columns
    return {
        "id": record.id, "domain": record.domain, "relevance": float(c["relevance"]),
        "trafficScore": float(c["traffic_score"]), "known": {"value": c["known"]},
        "promotype": {"value": c["promotype"]}, **_document(record, PUBLISHER_KEYS),
    }


def _columns(document: dict[str, Any], keys: dict[str, str], scalars: tuple[str, ...]) -> dict[str, Any]:
    meta = document.get("metaData") or {}
    columns: dict[str, Any] = {column: meta.get(key) for key, column in META_COLUMNS.items()}
    columns |= {column: document.get(key) for key, column in keys.items()}
    known = {"id", "domain", "metaData", *keys, *scalars}
    extra = {key: value for key, value in document.items() if key not in known}
    columns["additional_data"] = extra or None
    return columns


def _document(record: IntelRecord, keys: dict[str, str]) -> dict[str, Any]:
    c = record.columns
    meta = {key: c[column] for key, column in META_COLUMNS.items()}
    return {"metaData": meta, **{key: c[column] for key, column in keys.items()},
            **(c.get("additional_data") or {})}


def _distinct(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _invalid(name: str, message: str, location: str = "query") -> ValidationFailed:
    return ValidationFailed("The request is not valid.", details=[
        {"field": name, "location": location, "message": message, "type": "value_error"}])
