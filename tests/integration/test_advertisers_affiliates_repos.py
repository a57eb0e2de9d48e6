"""Advertiser and affiliate repositories and services against PostgreSQL: round trips, tenancy, events, query counts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shared.db.session import Session
from shared.db.uow import UnitOfWork
from shared.domain.advertisers import AdvertiserFilter, AdvertiserSort, AdvertiserStatus
from shared.domain.affiliates import AffiliateFilter, ContactAddress
from shared.domain.billing import BillingDetails, BillingFrequency, BillingSchedule, PaymentDetails, PaymentType
from shared.domain.paging import PageRequest
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from shared.repositories.outbox import OutboxRepository
from shared.schemas.advertisers import AdvertiserCreate, AdvertiserUpdate
from shared.schemas.affiliates import AffiliateCreate
from shared.services import advertisers, affiliates


def actor_for(user) -> Actor:
    return Actor(Principal(user.user_id, user.role, user.organization_id))


@pytest.fixture
def advertiser_org(make_org) -> int:
    return make_org("advertiser")


@pytest.fixture
def affiliate_org(make_org) -> int:
    return make_org("affiliate")


def seed(sql, table: str, org: int, rows: int) -> None:
    extra = ", contact_email" if table == "advertisers" else ""
    value = ", 'seed@x.example'" if table == "advertisers" else ""
    sql(f"INSERT INTO {table} (organization_id, name{extra}) SELECT :org, 'Seed ' || n{value}"
        " FROM generate_series(1, :rows) AS n RETURNING organization_id", org=org, rows=rows)


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every SQL statement sent through a Session from now on."""
    sent: list[str] = []
    original = Session._run

    def counting(self, sql, params):
        sent.append(sql)
        return original(self, sql, params)

    local_bus().wait_idle(60)  # background syncs of the rows just made are not the list's queries

    monkeypatch.setattr(Session, "_run", counting)
    return sent


def test_the_advertiser_list_runs_the_same_queries_for_one_row_or_a_hundred(
        env, sql, make_user, advertiser_org, statements) -> None:
    seed(sql, "advertisers", advertiser_org, 150)
    actor = actor_for(make_user(Role.ADVERTISER_MANAGER, advertiser_org))
    counts = {}
    for size in (1, 100):
        statements.clear()
        result = advertisers.list_advertisers(advertiser_org, PageRequest(1, size),
                                              AdvertiserFilter(search="seed", sort_by=AdvertiserSort.NAME),
                                              uow=UnitOfWork(actor.scope), actor=actor)
        assert (len(result.items), result.total) == (size, 150)
        counts[size] = len(statements)
    assert counts[1] == counts[100] == 5  # begin + organization + page + capped count + rollback


def test_the_affiliate_list_runs_the_same_queries_for_one_row_or_a_hundred(
        env, sql, make_user, affiliate_org, statements) -> None:
    seed(sql, "affiliates", affiliate_org, 150)
    actor = actor_for(make_user(Role.AFFILIATE_MANAGER, affiliate_org))
    counts = {}
    for size in (1, 100):
        statements.clear()
        result = affiliates.list_affiliates(affiliate_org, PageRequest(2, size), AffiliateFilter(),
                                            uow=UnitOfWork(actor.scope), actor=actor)
        assert (len(result.items), result.total) == (min(size, 150 - size), 150)
        counts[size] = len(statements)
    assert counts[1] == counts[100] == 5


def test_every_billing_value_survives_the_round_trip_through_jsonb(env, make_user, advertiser_org) -> None:
    actor = actor_for(make_user(Role.ADVERTISER_MANAGER, advertiser_org))
    details = BillingDetails(
        frequency=BillingFrequency.BIMONTHLY, schedule=BillingSchedule(day_of_month_one=1, day_of_month_two=16),
        payment_type=PaymentType.ACH,
        payment_details=PaymentDetails(PaymentType.ACH, bank_name="B", account_number="1", routing_number="2"),
        invoice_amount_threshold_cents=123456, auto_invoice_start_date=date(2025, 3, 1), default_payment_terms=45)
    with UnitOfWork(actor.scope) as uow:
        created = uow.advertisers.add(advertiser_org, {"name": "Round Trip", "billing_details": details})
        uow.commit()
    with UnitOfWork(actor.scope) as uow:
        fetched = uow.advertisers.get(created.advertiser_id, uow.scope)
    assert fetched == created
    assert fetched.billing_details == details


def test_affiliate_value_objects_survive_the_round_trip(env, make_user, affiliate_org) -> None:
    actor = actor_for(make_user(Role.AFFILIATE_MANAGER, affiliate_org))
    cmd = AffiliateCreate.model_validate_json(json.dumps({
        "name": "RT", "organization_id": affiliate_org, "labels": ["a"], "invoice_amount_threshold": "0.10",
        "contact_address": {"address_1": "1 Main", "city": "Paris", "country_code": "fr"},
        "billing_info": {"billing_frequency": "weekly", "details": {"day_of_week": 5}, "payment": {"k": "v"}}}))
    created = affiliates.create_affiliate(cmd, uow=UnitOfWork(actor.scope), actor=actor)
    fetched = affiliates.get_affiliate(created.affiliate_id, uow=UnitOfWork(actor.scope), actor=actor)
    assert fetched == created
    assert fetched.contact_address == ContactAddress(address_1="1 Main", city="Paris", country_code="FR")
    assert (fetched.invoice_amount_threshold_cents, fetched.labels) == (10, ["a"])
    assert fetched.billing_info is not None and fetched.billing_info.payment == {"k": "v"}


def test_a_repository_sees_nothing_outside_its_scope(env, sql, advertiser_org, make_org) -> None:
    theirs = make_org("advertiser")
    seed(sql, "advertisers", theirs, 1)
    their_id = sql("SELECT advertiser_id FROM advertisers")[0]["advertiser_id"]
    with UnitOfWork(TenantScope.only(advertiser_org)) as uow:
        assert uow.advertisers.get(their_id, uow.scope) is None
        page = uow.advertisers.list(uow.scope, theirs, PageRequest(), AdvertiserFilter())
        assert (page.items, page.total) == ([], 0)
        assert uow.session.fetch_all("SELECT advertiser_id FROM advertisers") == []  # RLS, without any filter


def _failing_outbox(monkeypatch) -> None:
    """The event is written, then the transaction fails: both must vanish together."""
    original = OutboxRepository.add

    def add_then_fail(self, event):
        original(self, event)
        raise RuntimeError("the database went away after the event was written")

    monkeypatch.setattr(OutboxRepository, "add", add_then_fail)


def test_a_rolled_back_create_leaves_neither_the_advertiser_nor_its_event(
        env, sql, make_user, advertiser_org, monkeypatch) -> None:
    actor = actor_for(make_user(Role.ADVERTISER_MANAGER, advertiser_org))
    cmd = AdvertiserCreate(name="Doomed", organization_id=advertiser_org, contact_email="d@x.example")
    _failing_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        advertisers.create_advertiser(cmd, uow=UnitOfWork(actor.scope), actor=actor)
    assert sql("SELECT count(*) AS n FROM advertisers")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM outbox")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM audit_log WHERE entity_type = 'advertiser'")[0]["n"] == 0


def test_a_rolled_back_update_keeps_the_old_values_and_only_the_first_event(
        env, sql, make_user, advertiser_org, monkeypatch) -> None:
    actor = actor_for(make_user(Role.ADVERTISER_MANAGER, advertiser_org))
    created = advertisers.create_advertiser(
        AdvertiserCreate(name="Stable", organization_id=advertiser_org, contact_email="s@x.example"),
        uow=UnitOfWork(actor.scope), actor=actor)
    _failing_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        advertisers.update_advertiser(created.advertiser_id, AdvertiserUpdate(name="Changed"),
                                      uow=UnitOfWork(actor.scope), actor=actor)
    assert sql("SELECT name, version FROM advertisers") == [{"name": "Stable", "version": 1}]
    assert [r["event_type"] for r in sql("SELECT event_type FROM outbox")] == ["advertiser.created"]


def test_a_rolled_back_affiliate_archive_leaves_it_live(env, sql, make_user, affiliate_org, monkeypatch) -> None:
    actor = actor_for(make_user(Role.AFFILIATE_MANAGER, affiliate_org))
    created = affiliates.create_affiliate(AffiliateCreate(name="Live", organization_id=affiliate_org),
                                          uow=UnitOfWork(actor.scope), actor=actor)
    _failing_outbox(monkeypatch)
    with pytest.raises(RuntimeError):
        affiliates.archive_affiliate(created.affiliate_id, uow=UnitOfWork(actor.scope), actor=actor)
    assert sql("SELECT status, archived_at FROM affiliates") == [{"status": "pending", "archived_at": None}]
    assert [r["event_type"] for r in sql("SELECT event_type FROM outbox")] == ["affiliate.created"]


def test_status_filter_and_archived_rows_in_sql(env, sql, make_user, advertiser_org) -> None:
    seed(sql, "advertisers", advertiser_org, 3)
    sql("UPDATE advertisers SET status = 'archived' WHERE name = 'Seed 1' RETURNING advertiser_id")
    sql("UPDATE advertisers SET status = 'active' WHERE name = 'Seed 2' RETURNING advertiser_id")
    with UnitOfWork(TenantScope.only(advertiser_org)) as uow:
        def names(**where) -> list[str]:
            page = uow.advertisers.list(uow.scope, advertiser_org, PageRequest(), AdvertiserFilter(**where))
            return [a.name for a in page.items]

        assert names() == ["Seed 2", "Seed 3"]
        assert names(include_archived=True) == ["Seed 1", "Seed 2", "Seed 3"]
        assert names(status=AdvertiserStatus.ACTIVE) == ["Seed 2"]
        assert names(status=AdvertiserStatus.ARCHIVED) == ["Seed 1"]
        assert names(descending=True, sort_by=AdvertiserSort.NAME) == ["Seed 3", "Seed 2"]
