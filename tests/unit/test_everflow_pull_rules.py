"""What `sync-from-everflow` takes over from Everflow, and what it leaves alone (pure rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from shared.adapters.everflow.mapping import Discrepancy, Severity
from shared.adapters.everflow.mapping_pull import pulled_changes
from shared.domain.advertisers import AdvertiserStatus
from shared.domain.campaigns import CampaignStatus
from shared.domain.provider_mappings import EntityKind

ADVERTISER, CAMPAIGN = EntityKind.ADVERTISER, EntityKind.CAMPAIGN


@dataclass
class Entity:
    status: Any
    name: str = "Acme"
    internal_notes: str | None = None
    end_date: date | None = None
    daily_click_cap: int | None = 10


def differs(field: str, provider: Any, local: Any = None) -> list[Discrepancy]:
    return [Discrepancy(field, local, provider, Severity.LOW)]


@pytest.mark.parametrize(("ours", "theirs", "pulled"), [
    (AdvertiserStatus.ACTIVE, "inactive", {"status": "inactive"}),
    (AdvertiserStatus.PENDING, "inactive", {}),  # pending is written as inactive: they agree
    (AdvertiserStatus.REJECTED, "suspended", {}),
    (AdvertiserStatus.ACTIVE, "suspended", {"status": "inactive"}),
    (AdvertiserStatus.INACTIVE, "active", {"status": "active"}),
    (AdvertiserStatus.INACTIVE, "pending", {"status": "pending"}),
])
def test_an_advertiser_status_is_pulled_only_when_ours_means_something_else(ours, theirs, pulled) -> None:
    assert pulled_changes(ADVERTISER, Entity(ours), differs("account_status", theirs)).changes == pulled


@pytest.mark.parametrize(("ours", "theirs", "pulled"), [
    (CampaignStatus.DRAFT, "paused", {}),
    (CampaignStatus.DRAFT, "active", {"status": "active"}),
    (CampaignStatus.ACTIVE, "pending", {"status": "paused"}),
    (CampaignStatus.PAUSED, "active", {"status": "active"}),
])
def test_an_offer_status_maps_back_onto_the_campaign_lifecycle(ours, theirs, pulled) -> None:
    assert pulled_changes(CAMPAIGN, Entity(ours), differs("offer_status", theirs)).changes == pulled


def test_a_deleted_offer_never_archives_the_campaign() -> None:
    pull = pulled_changes(CAMPAIGN, Entity(CampaignStatus.ACTIVE), differs("offer_status", "deleted"))
    assert pull.changes == {}
    assert [(s.field, s.provider_value) for s in pull.skipped] == [("offer_status", "deleted")]
    assert "change the status here" in pull.skipped[0].reason


def test_fields_we_keep_are_reported_not_pulled() -> None:
    found = differs("labels", ["staff"]) + differs("billing", {"tax_id": "X"}) + differs("network_employee_id", 3)
    pull = pulled_changes(ADVERTISER, Entity(AdvertiserStatus.ACTIVE), found)
    assert pull.changes == {}
    assert [s.field for s in pull.skipped] == ["labels", "billing", "network_employee_id"]
    assert all(s.reason for s in pull.skipped)


def test_everflows_empty_values_and_zero_caps_mean_none_here() -> None:
    entity = Entity(CampaignStatus.ACTIVE, internal_notes="old", end_date=date(2026, 1, 31))
    found = differs("internal_notes", "") + differs("date_live_until", "2026-03-01") + differs("daily_click_cap", 0)
    pull = pulled_changes(CAMPAIGN, entity, found)
    assert pull.changes == {"internal_notes": None, "end_date": "2026-03-01", "daily_click_cap": None}
    assert pull.sources == {"internal_notes": "internal_notes", "end_date": "date_live_until",
                            "daily_click_cap": "daily_click_cap"}


def test_a_value_equal_to_ours_is_no_change() -> None:
    entity = Entity(CampaignStatus.ACTIVE, end_date=date(2026, 3, 1))
    assert pulled_changes(CAMPAIGN, entity, differs("date_live_until", "2026-03-01")).changes == {}
