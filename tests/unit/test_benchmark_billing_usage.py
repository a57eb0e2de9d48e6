"""The usage-billing benchmark's layout: offers per organization and the mix of billing modes."""

from __future__ import annotations

from benchmarks.billing_usage import mode_of, offers_of


def test_organizations_have_one_or_two_offers_about_one_and_a_half_on_average() -> None:
    offers = [offers_of(index) for index in range(10_000)]
    assert set(offers) == {1, 2} and sum(offers) == 15_000


def test_one_in_ten_accounts_is_postpaid_and_one_in_twenty_prepaid_and_empty() -> None:
    modes = [mode_of(index) for index in range(10_000)]
    assert sum(mode == "postpaid" for mode, _ in modes) == 1_000
    assert sum(mode == "prepaid" and cents == 0 for mode, cents in modes) == 500
    assert sum(cents > 0 for _, cents in modes) == 8_500
