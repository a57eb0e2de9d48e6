"""What the Everflow payloads take from configuration rather than from an entity, and exact JSON numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.config import Settings, SettingsError
from shared.domain.advertisers import AttributionMethod, AttributionPriority, EmailAttributionMethod
from shared.domain.billing import BillingFrequency

Json = dict[str, Any]

# The settings every payload needs; Everflow has no sensible default for them (they are ids in the network).
REQUIRED_SETTINGS = ("everflow_network_employee_id", "everflow_tracking_domain_id", "everflow_timezone_id")


@dataclass(frozen=True, kw_only=True)
class EverflowDefaults:
    """Values of the network (from settings) and Everflow's own defaults, for what an entity leaves unset."""

    network_employee_id: int  # the account manager of new advertisers and affiliates
    tracking_domain_id: int  # the tracking domain of new offers
    timezone_id: int  # the reporting time zone of advertisers that name none
    currency_id: str = "USD"
    offer_id_macro: str = "oid"
    affiliate_id_macro: str = "affid"
    attribution_method: AttributionMethod = AttributionMethod.LAST_TOUCH
    email_attribution_method: EmailAttributionMethod = EmailAttributionMethod.LAST_AFFILIATE_ATTRIBUTION
    attribution_priority: AttributionPriority = AttributionPriority.CLICK
    # "manual" is the one frequency that needs no schedule, so nothing has to be made up for it.
    billing_frequency: BillingFrequency = BillingFrequency.MANUAL
    label_prefix: str = "abp"  # the namespace of our identity labels, e.g. "abp:advertiser:42"


def defaults_from_settings(settings: Settings) -> EverflowDefaults:
    """The defaults of the configured network; SettingsError names every missing id."""
    missing = [name.upper() for name in REQUIRED_SETTINGS if not getattr(settings, name)]
    if missing:
        raise SettingsError(f"Everflow payloads need these settings (unset or 0): {', '.join(missing)}")
    return EverflowDefaults(
        network_employee_id=_positive(settings.everflow_network_employee_id),
        tracking_domain_id=_positive(settings.everflow_tracking_domain_id),
        timezone_id=_positive(settings.everflow_timezone_id),
        currency_id=settings.everflow_default_currency_id,
        offer_id_macro=settings.everflow_offer_id_macro,
        affiliate_id_macro=settings.everflow_affiliate_id_macro,
    )


def _positive(value: int | None) -> int:
    if value is None or value <= 0:
        raise SettingsError(f"an Everflow id must be a positive integer, not {value}")
    return value


def json_number(value: Decimal) -> float:
    """A Decimal as a float whose JSON text is the same number (12.34 is written 12.34, never 12.3399...).

    The client writes payloads with the standard json module, which cannot write Decimals; a float
    is exact on the wire whenever its shortest repr equals the Decimal, which holds for every amount
    of up to 15 significant digits. Anything longer is refused rather than rounded.
    """
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be written as an exact JSON number")
    return number


def cents_number(cents: int | None) -> float | None:
    """Cents as a decimal amount for Everflow (1234 -> 12.34); None stays None."""
    return None if cents is None else json_number(Decimal(cents).scaleb(-2))


def present(values: Json) -> Json:
    """The entries that have a value: None means 'we have nothing to say', so the field is left out."""
    return {key: value for key, value in values.items() if value is not None}
