"""Billing and payment values of advertisers and affiliates, and the rules that keep them payable.

The rules are the original's `PaymentDetails.Validate` and `BillingSchedule.Validate` (written there but
never called); the enums are Everflow's, so the values sync without translation.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.domain.errors import ValidationFailed


class BillingFrequency(enum.StrEnum):
    WEEKLY = "weekly"
    BIMONTHLY = "bimonthly"
    MONTHLY = "monthly"
    TWO_MONTHS = "two_months"
    QUARTERLY = "quarterly"
    MANUAL = "manual"
    OTHER = "other"


class PaymentType(enum.StrEnum):
    """How an advertiser pays (the original's enum); also the kind of a `PaymentDetails`."""

    WIRE = "wire"
    ACH = "ach"
    CHECK = "check"
    PAYPAL = "paypal"
    CRYPTO = "crypto"
    OTHER = "other"


class AffiliatePaymentType(enum.StrEnum):
    """How an affiliate is paid: Everflow's `billing.payment_type` values."""

    NONE = "none"
    PAY = "pay"
    PAYPAL = "paypal"
    CHECK = "check"
    WIRE = "wire"
    DIRECT_DEPOSIT = "direct_deposit"
    TIPALTI = "tipalti"
    PAXUM = "paxum"
    VEEM = "veem"
    PAYONEER = "payoneer"
    BITCOIN = "bitcoin"
    WEBMONEY = "webmoney"
    CAPITALIST = "capitalist"
    TRANSFERWISE = "transferwise"
    GIFT_CARD = "gift_card"
    MASSPAY = "masspay"
    SKRILL = "skrill"


class AchAccountType(enum.StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


@dataclass(frozen=True)
class BillingSchedule:
    """When invoices fall due; which fields matter depends on the billing frequency."""

    day_of_week: int | None = None
    day_of_month: int | None = None
    day_of_month_one: int | None = None
    day_of_month_two: int | None = None
    starting_month: int | None = None


@dataclass(frozen=True)
class PaymentDetails:
    type: PaymentType
    bank_name: str | None = None
    bank_address: str | None = None
    account_number: str | None = None
    routing_number: str | None = None
    swift_code: str | None = None
    iban: str | None = None
    ach_account_type: AchAccountType | None = None
    paypal_email: str | None = None
    crypto_wallet_type: str | None = None
    crypto_address: str | None = None
    mailing_address: str | None = None
    additional_details: str | None = None


@dataclass(frozen=True)
class BillingAddress:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    company_name: str | None = None


@dataclass(frozen=True)
class BillingDetails:
    """An advertiser's invoicing settings (Everflow's advertiser `billing` block plus payment details)."""

    frequency: BillingFrequency | None = None
    schedule: BillingSchedule | None = None
    payment_type: PaymentType | None = None
    payment_details: PaymentDetails | None = None
    tax_id: str | None = None
    is_invoice_creation_auto: bool | None = None
    invoice_amount_threshold_cents: int | None = None
    auto_invoice_start_date: date | None = None
    default_invoice_is_hidden: bool | None = None
    invoice_generation_days_delay: int | None = None
    default_payment_terms: int | None = None
    address: BillingAddress | None = None
    additional_details: str | None = None


@dataclass(frozen=True)
class Problem:
    """One broken rule: the dotted path of the field and what is wrong with it."""

    field: str
    message: str


SCHEDULE_RANGES: dict[str, tuple[int, int]] = {
    "day_of_week": (0, 6),
    "day_of_month": (1, 31),
    "day_of_month_one": (1, 31),
    "day_of_month_two": (1, 31),
    "starting_month": (1, 12),
}
SCHEDULE_NEEDS: dict[BillingFrequency, tuple[str, ...]] = {
    BillingFrequency.WEEKLY: ("day_of_week",),
    BillingFrequency.MONTHLY: ("day_of_month",),
    BillingFrequency.BIMONTHLY: ("day_of_month_one", "day_of_month_two"),
    BillingFrequency.QUARTERLY: ("starting_month",),
}
PAYMENT_NEEDS: dict[PaymentType, tuple[str, ...]] = {
    PaymentType.WIRE: ("bank_name", "account_number"),
    PaymentType.ACH: ("bank_name", "account_number", "routing_number"),
    PaymentType.PAYPAL: ("paypal_email",),
    PaymentType.CRYPTO: ("crypto_address", "crypto_wallet_type"),
    PaymentType.CHECK: ("mailing_address",),
}
# A wire transfer reaches the bank through any one of these.
WIRE_BANK_IDS = ("routing_number", "swift_code", "iban")


def schedule_problems(frequency: BillingFrequency | None, schedule: BillingSchedule | None,
                      at: str) -> list[Problem]:
    """Days in range for every given field, and the fields the frequency needs present."""
    schedule = schedule or BillingSchedule()
    problems = []
    for name, (low, high) in SCHEDULE_RANGES.items():
        value = getattr(schedule, name)
        if value is not None and not low <= value <= high:
            problems.append(Problem(f"{at}.{name}", f"must be between {low} and {high}"))
    needs = SCHEDULE_NEEDS.get(frequency, ()) if frequency else ()
    for name in needs:
        if getattr(schedule, name) is None:
            problems.append(Problem(f"{at}.{name}", f"is required for {frequency} billing"))
    one, two = schedule.day_of_month_one, schedule.day_of_month_two
    if frequency is BillingFrequency.BIMONTHLY and one is not None and one == two:
        problems.append(Problem(f"{at}.day_of_month_two", "must differ from day_of_month_one"))
    return problems


def payment_details_problems(details: PaymentDetails, at: str) -> list[Problem]:
    """What a payment of this type cannot be made without."""
    problems = [Problem(f"{at}.{name}", f"is required for {details.type} payments")
                for name in PAYMENT_NEEDS.get(details.type, ()) if not _given(getattr(details, name))]
    if details.type is PaymentType.WIRE and not any(_given(getattr(details, n)) for n in WIRE_BANK_IDS):
        problems.append(Problem(f"{at}.routing_number",
                                "one of routing_number, swift_code or iban is required for wire payments"))
    return problems


def billing_details_problems(details: BillingDetails, at: str = "billing_details") -> list[Problem]:
    problems = schedule_problems(details.frequency, details.schedule, f"{at}.schedule")
    payment = details.payment_details
    if payment is not None:
        problems += payment_details_problems(payment, f"{at}.payment_details")
        if details.payment_type is not None and payment.type is not details.payment_type:
            problems.append(Problem(f"{at}.payment_details.type", "must match billing_details.payment_type"))
    return problems


def require_valid(problems: Iterable[Problem]) -> None:
    """422 listing every broken rule, in the API's error-detail shape."""
    found = list(problems)
    if found:
        raise ValidationFailed("The request is not valid.", details=[
            {"field": p.field, "location": "body", "message": p.message, "type": "value_error"} for p in found])


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


SWIFT = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def is_swift_code(value: str) -> bool:
    """ISO 9362: bank (4 letters), country (2 letters), location (2), optional branch (3)."""
    return bool(SWIFT.match(value)) and value[4:6] in COUNTRY_CODES


def is_iban(value: str) -> bool:
    """ISO 13616: a known country, then the mod-97 check over the rearranged digits equals 1."""
    if not IBAN.match(value) or value[:2] not in COUNTRY_CODES:
        return False
    digits = "".join(str(int(char, 36)) for char in value[4:] + value[:4])
    return int(digits) % 97 == 1


def is_country_code(value: str) -> bool:
    """An ISO 3166-1 alpha-2 code, upper case."""
    return value in COUNTRY_CODES


COUNTRY_CODES = frozenset(" ".join((
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT",
    "BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH",
    "ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT",
    "HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS",
    "LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI",
    "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG",
    "SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG",
    "UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW",
)).split())
