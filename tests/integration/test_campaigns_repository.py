"""The campaign repository and use cases against PostgreSQL: exact values, scope, lists, one transaction."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from shared.db.uow import UnitOfWork
from shared.domain.campaign_terms import PayoutType, RevenueType
from shared.domain.campaigns import (
    CampaignFilter,
    CampaignSort,
    CampaignSpec,
    CampaignStatus,
    ConversionMethod,
    SessionDefinition,
    Visibility,
)
from shared.domain.errors import ValidationFailed
from shared.domain.paging import PageRequest
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.repositories.outbox import OutboxRepository
from shared.schemas.campaigns import CampaignCreate, CampaignUpdate
from shared.services import campaigns as service


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def advertiser(sql, org) -> int:
    rows = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Acme') RETURNING advertiser_id", org=org)
    return int(rows[0]["advertiser_id"])


def manager_of(org: int) -> Actor:
    return Actor(Principal(uuid.uuid4(), Role.ADVERTISER_MANAGER, org))


def add(org: int, advertiser: int, **fields: object) -> int:
    with UnitOfWork(TenantScope.only(org)) as uow:
        campaign = uow.campaigns.add(CampaignSpec(organization_id=org, advertiser_id=advertiser,
                                                  **{"name": "Campaign", **fields}))  # type: ignore[arg-type]
        uow.commit()
    return campaign.campaign_id


def test_every_field_round_trips_exactly(env, org, advertiser) -> None:
    spec = CampaignSpec(
        organization_id=org, advertiser_id=advertiser, name="Full", description="d", status=CampaignStatus.ACTIVE,
        start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), destination_url="https://a.example",
        thumbnail_url="https://t.example", preview_url="https://p.example", visibility=Visibility.PRIVATE,
        currency_id="EUR", internal_notes="n", conversion_method=ConversionMethod.HTTPS_IFRAME_PIXEL,
        session_definition=SessionDefinition.GOOGLE_AD_ID, session_duration=720, terms_and_conditions="t",
        is_caps_enabled=True, daily_conversion_cap=1, weekly_conversion_cap=2, monthly_conversion_cap=3,
        global_conversion_cap=4, daily_click_cap=5, weekly_click_cap=6, monthly_click_cap=7, global_click_cap=8,
        payout_type=PayoutType.CPA_CPS, payout_amount_cents=1999, payout_percentage=Decimal("12.5"),
        revenue_type=RevenueType.RPA_RPS, revenue_amount_cents=2500, revenue_percentage=Decimal("99.99"),
    )
    with UnitOfWork(TenantScope.only(org)) as uow:
        added = uow.campaigns.add(spec)
        uow.commit()
    with UnitOfWork(TenantScope.only(org)) as uow:
        fetched = uow.campaigns.get(added.campaign_id, uow.scope)
    assert fetched == added
    assert CampaignSpec(**{k: getattr(fetched, k) for k in vars(spec)}) == spec
    assert (fetched.version, fetched.archived_at) == (1, None)


def test_another_tenant_neither_gets_nor_lists_the_campaign(env, make_org, org, advertiser) -> None:
    campaign_id = add(org, advertiser)
    other = make_org("advertiser")
    with UnitOfWork(TenantScope.only(other)) as uow:
        assert uow.campaigns.get(campaign_id, uow.scope) is None
        assert uow.campaigns.advertiser(advertiser, uow.scope) is None
        assert uow.campaigns.list(uow.scope, PageRequest(), CampaignFilter(organization_id=org)).total == 0
    with UnitOfWork(TenantScope.everything()) as uow:
        assert uow.campaigns.advertiser(advertiser, uow.scope).organization_id == org  # type: ignore[union-attr]


def test_an_update_bumps_the_version_and_archiving_stamps_the_time(env, org, advertiser) -> None:
    campaign_id = add(org, advertiser, status=CampaignStatus.PAUSED)
    with UnitOfWork(TenantScope.only(org)) as uow:
        renamed = uow.campaigns.update(campaign_id, {"name": "Renamed", "payout_percentage": Decimal("1.25")})
        archived = uow.campaigns.update(campaign_id, {"status": CampaignStatus.ARCHIVED})
        uow.commit()
    assert (renamed.name, renamed.payout_percentage, renamed.version) == ("Renamed", Decimal("1.25"), 2)
    assert (archived.status, archived.version, archived.archived_at is not None) == (CampaignStatus.ARCHIVED, 3, True)


def test_a_list_pages_with_the_total_of_all_matches_and_sorts_nulls_last(env, org, advertiser) -> None:
    for day in (3, None, 1, 2):
        add(org, advertiser, name=f"Day {day}", start_date=date(2025, 1, day) if day else None)
    where = CampaignFilter(organization_id=org, sort_by=CampaignSort.START_DATE, descending=False)
    with UnitOfWork(TenantScope.only(org)) as uow:
        first = uow.campaigns.list(uow.scope, PageRequest(1, 3), where)
        last = uow.campaigns.list(uow.scope, PageRequest(2, 3), where)
        beyond = uow.campaigns.list(uow.scope, PageRequest(5, 3), where)
    assert [c.name for c in first.items + last.items] == ["Day 1", "Day 2", "Day 3", "Day None"]
    assert (first.total, last.total, beyond.total, beyond.items) == (4, 4, 4, [])


def test_a_created_campaign_commits_with_its_event_and_audit_entry(env, sql, org, advertiser) -> None:
    cmd = CampaignCreate.model_validate_json(
        f'{{"organization_id": {org}, "advertiser_id": {advertiser}, "name": "New", "fixed_conversion_amount": 4.5}}')
    campaign = service.create_campaign(cmd, uow=UnitOfWork(TenantScope.only(org)), actor=manager_of(org))
    assert (campaign.payout_type, campaign.payout_amount_cents) == (PayoutType.CPA, 450)
    event = sql("SELECT event_type, aggregate_id, aggregate_version, payload FROM outbox")[0]
    assert (event["event_type"], event["aggregate_id"], event["aggregate_version"]) == (
        "campaign.created", str(campaign.campaign_id), 1)
    assert event["payload"]["payout_amount_cents"] == 450
    assert sql("SELECT action FROM audit_log") == [{"action": "campaign.create"}]


def test_a_write_that_fails_after_its_event_leaves_neither_the_change_nor_the_event(
        env, sql, monkeypatch, org, advertiser) -> None:
    campaign_id = add(org, advertiser)
    real_add = OutboxRepository.add

    def add_then_fail(self: OutboxRepository, event: object) -> str:
        real_add(self, event)  # type: ignore[arg-type]
        raise RuntimeError("the connection broke before commit")

    monkeypatch.setattr(OutboxRepository, "add", add_then_fail)
    cmd = CampaignUpdate.model_validate_json('{"name": "Never"}')
    with pytest.raises(RuntimeError):
        service.update_campaign(campaign_id, cmd, uow=UnitOfWork(TenantScope.only(org)), actor=manager_of(org))
    assert sql("SELECT name, version FROM campaigns") == [{"name": "Campaign", "version": 1}]
    assert sql("SELECT count(*) AS n FROM outbox") == [{"n": 0}]
    assert sql("SELECT count(*) AS n FROM audit_log") == [{"n": 0}]


def test_the_service_refuses_an_advertiser_of_another_organization_even_to_an_admin(
        env, sql, make_org, org, advertiser) -> None:
    other = make_org("advertiser")
    cmd = CampaignCreate(organization_id=other, advertiser_id=advertiser, name="Mismatch")
    admin = Actor(Principal(uuid.uuid4(), Role.ADMIN, None))
    with pytest.raises(ValidationFailed, match="another organization"):
        service.create_campaign(cmd, uow=UnitOfWork(TenantScope.everything()), actor=admin)
    assert sql("SELECT count(*) AS n FROM campaigns") == [{"n": 0}]

