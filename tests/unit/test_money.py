"""Money at the API edge: decimals parsed exactly into minor units, and written back with the currency's places."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.ledger import MAX_AMOUNT_CENTS, format_amount, minor_unit_exponent, parse_amount
from shared.schemas.billing_accounts import RechargeCreate


@pytest.mark.parametrize(("value", "currency", "cents"), [
    ("10.00", "USD", 1000),
    ("10.5", "USD", 1050),
    ("0.01", "USD", 1),
    (Decimal("19.99"), "USD", 1999),
    (7, "USD", 700),
    ("1", "JPY", 1),
    ("1500", "JPY", 1500),
    ("1500.0", "JPY", 1500),  # trailing zeros are not extra precision
    ("1e3", "USD", 100_000),
    ("1E1", "JPY", 10),
    ("999999.99", "USD", MAX_AMOUNT_CENTS),
    ("12.30", "usd", 1230),
])
def test_a_decimal_amount_becomes_exact_minor_units(value, currency, cents) -> None:
    assert parse_amount(value, currency) == cents


@pytest.mark.parametrize(("value", "currency"), [
    ("10.005", "USD"),  # a third decimal place does not exist in dollars
    ("0.001", "USD"),
    ("1.5", "JPY"),  # yen have no minor unit
    ("0", "USD"),
    ("0.00", "USD"),
    ("-1", "USD"),
    ("-0.01", "USD"),
    ("NaN", "USD"),
    ("sNaN", "USD"),
    ("Infinity", "USD"),
    ("-Infinity", "USD"),
    ("1e400", "USD"),
    ("1000000.00", "USD"),  # one cent past Stripe's largest charge
    ("100000000", "JPY"),
    ("12,50", "USD"),
    ("", "USD"),
    ("ten", "USD"),
    ("1e-3", "USD"),
])
def test_an_amount_that_is_not_exact_positive_and_in_range_is_refused(value, currency) -> None:
    with pytest.raises(ValidationFailed):
        parse_amount(value, currency)


@pytest.mark.parametrize(("cents", "currency", "text"), [
    (1230, "USD", "12.30"),
    (1, "USD", "0.01"),
    (0, "USD", "0.00"),
    (-250, "USD", "-2.50"),
    (1500, "JPY", "1500"),
    (MAX_AMOUNT_CENTS, "EUR", "999999.99"),
])
def test_minor_units_are_written_with_the_currencys_places(cents, currency, text) -> None:
    assert str(format_amount(cents, currency)) == text


@pytest.mark.parametrize("cents", [1, 99, 100, 12345, MAX_AMOUNT_CENTS])
@pytest.mark.parametrize("currency", ["USD", "JPY", "EUR", "KRW"])
def test_format_and_parse_are_inverse(cents, currency) -> None:
    assert parse_amount(format_amount(cents, currency), currency) == cents


def test_zero_decimal_currencies_have_no_minor_unit() -> None:
    assert (minor_unit_exponent("JPY"), minor_unit_exponent("krw"), minor_unit_exponent("USD")) == (0, 0, 2)


@pytest.mark.parametrize(("raw", "cents"), [
    ('{"amount": 10.05}', 1005),  # a JSON number is read from its text, never through binary float
    ('{"amount": "10.05"}', 1005),
    ('{"amount": 0.1}', 10),
    ('{"amount": 25}', 2500),
])
def test_a_json_amount_reaches_the_parser_exactly(raw, cents) -> None:
    assert parse_amount(RechargeCreate.model_validate_json(raw).amount, "USD") == cents


@pytest.mark.parametrize("raw", ['{"amount": "NaN"}', '{"amount": 1e400}', '{"amount": true}', '{"amount": null}',
                                 '{"amount": "Infinity"}'])
def test_a_json_amount_that_is_no_finite_number_is_refused_by_the_model(raw) -> None:
    with pytest.raises(ValueError):
        RechargeCreate.model_validate_json(raw)
