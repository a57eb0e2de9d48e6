"""The daily usage job against the Everflow and Stripe sandboxes: real traffic, priced, recorded and charged once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from shared.adapters.everflow.sandbox import SandboxServer
from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.sandbox import SandboxServer as StripeSandbox
from shared.db.uow import UnitOfWork
from shared.domain.ledger import EntryType, NewEntry, PaymentPurpose, PaymentStatus, UsageStatus
from shared.domain.principal import TenantScope
from shared.services.billing_customers import ensure_customer
from shared.services.usage_billing import run_daily_usage
from tests.reporting_rows import AdvertiserOrg, entity_report, synced_advertiser_org, synced_affiliate_org

Sql = Callable[..., list[dict[str, Any]]]
FEE_BPS = 1000  # the default PLATFORM_FEE_BPS
# Our campaigns' payout terms (Everflow's offers keep their own; usage is priced by ours).
TERMS = [("cpc", 12, "0"), ("cps", 0, "7.5"), ("cpa", 350, "0"), ("cpa_cps", 100, "2.25")]


@dataclass(frozen=True)
class World:
    day: dt.date
    acme: AdvertiserOrg
    globex: AdvertiserOrg
    idle: int  # an advertiser organization without campaigns: a zero-usage day


@pytest.fixture
def world(sql: Sql, make_org: Callable[..., int], sandbox: SandboxServer) -> World:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    globex = synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=2, org_type="agency")
    synced_affiliate_org(sql, make_org, sandbox, "Publisher")
    for campaign_id, (kind, amount, percentage) in zip([*acme.campaigns, *globex.campaigns], TERMS, strict=True):
        sql("UPDATE campaigns SET payout_type = :kind, payout_amount_cents = :amount,"
            " payout_percentage = CAST(:percentage AS NUMERIC) WHERE campaign_id = :id",
            kind=kind, amount=amount, percentage=percentage, id=campaign_id)
    idle = make_org("advertiser")
    day = dt.datetime.fromtimestamp(sandbox.state.now(), dt.UTC).date() - dt.timedelta(days=1)
    return World(day, acme, globex, idle)


def expected_cents(sandbox: SandboxServer, world: World, org: AdvertiserOrg) -> int:
    """The organization's day priced by hand from the sandbox's own entity report of its offers."""
    body = {"from": world.day.isoformat(), "to": world.day.isoformat(), "timezone_id": 67, "currency_id": "USD",
            "columns": [{"column": "offer"}],
            "query": {"filters": [{"resource_type": "offer", "filter_id_value": str(o)} for o in org.offer_ids]}}
    rows = {int(row["columns"][0]["id"]): row["reporting"] for row in entity_report(sandbox, body)["table"]}
    total = 0
    all_campaigns = [*world.acme.campaigns.items(), *world.globex.campaigns.items()]
    for (campaign_id, offer_id), (kind, amount, percentage) in zip(all_campaigns, TERMS, strict=True):
        if campaign_id not in org.campaigns:
            continue
        r = rows[offer_id]
        sales = Decimal(str(r["gross_sales"])) * 100
        exact = {"cpc": amount * r["unique_click"], "cpa": amount * r["cv"],
                 "cps": Decimal(percentage) / 100 * sales,
                 "cpa_cps": amount * r["cv"] + Decimal(percentage) / 100 * sales}[kind]
        payout = int(Decimal(exact).quantize(Decimal(1), ROUND_HALF_EVEN))
        total += payout + int((Decimal(payout) * FEE_BPS / 10_000).quantize(Decimal(1), ROUND_HALF_EVEN))
    return total


def uow() -> UnitOfWork:
    return UnitOfWork(TenantScope.everything())


def credit(organization_id: int, cents: int, key: str) -> None:
    with uow() as work:
        work.ledger.post(organization_id, NewEntry(EntryType.CREDIT, cents, key, "test credit"))
        work.commit()


def balance(organization_id: int) -> int:
    with uow() as work:
        account = work.billing_accounts.get(organization_id)
        assert account is not None
        return account.balance_cents


def record(organization_id: int, day: dt.date) -> Any:
    with uow() as work:
        return work.usage_records.get(organization_id, day)


def no_discrepancies() -> bool:
    with uow() as work:
        return work.ledger.discrepancies() == []


def test_usage_equals_the_everflow_report_priced_by_hand_and_a_second_run_charges_nothing(
        world: World, sandbox: SandboxServer) -> None:
    credit(world.acme.organization_id, 10_000_000, "test:acme")
    credit(world.globex.organization_id, 10_000_000, "test:globex")

    first = run_daily_usage(world.day)
    second = run_daily_usage(world.day)

    acme, globex = record(world.acme.organization_id, world.day), record(world.globex.organization_id, world.day)
    assert acme.amount_cents == expected_cents(sandbox, world, world.acme) > 0
    assert globex.amount_cents == expected_cents(sandbox, world, world.globex) > 0
    assert acme.status is globex.status is UsageStatus.BILLED
    assert len(acme.campaign_breakdown) == 2 and acme.transaction_id is not None
    idle = record(world.idle, world.day)
    assert (idle.amount_cents, idle.status) == (0, UsageStatus.BILLED)
    assert balance(world.acme.organization_id) == 10_000_000 - acme.amount_cents
    assert balance(world.globex.organization_id) == 10_000_000 - globex.amount_cents
    assert first.charged == 2 and first.everflow_calls == 1
    assert (second.recorded, second.charged) == (0, 0)
    assert no_discrepancies()


def test_the_command_line_runs_a_day_and_a_repeat_charges_nothing(world: World, capsys) -> None:
    from functions.usage_billing import main

    credit(world.acme.organization_id, 10_000_000, "test:acme")
    assert main(["--day", world.day.isoformat()]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[-1])  # after the log lines
    assert main(["--day", world.day.isoformat()]) == 0
    second = json.loads(capsys.readouterr().out.splitlines()[-1])

    assert (first["day"], first["everflow_calls"], first["recorded"]) == (world.day.isoformat(), 1, 3)
    assert (second["recorded"], second["charged"]) == (0, 0) and first["charged"] >= 1
    charged = record(world.acme.organization_id, world.day).amount_cents
    assert balance(world.acme.organization_id) == 10_000_000 - charged


def test_two_runs_at_once_charge_each_record_once(world: World) -> None:
    credit(world.acme.organization_id, 10_000_000, "test:acme")
    credit(world.globex.organization_id, 10_000_000, "test:globex")
    runs: list[Any] = []
    threads = [threading.Thread(target=lambda: runs.append(run_daily_usage(world.day))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(run.charged for run in runs) == 2 and len(runs) == 2
    acme = record(world.acme.organization_id, world.day)
    assert balance(world.acme.organization_id) == 10_000_000 - acme.amount_cents
    assert no_discrepancies()


def test_insufficient_funds_keep_the_record_and_a_later_run_charges_it_after_a_top_up(world: World) -> None:
    credit(world.globex.organization_id, 10_000_000, "test:globex")

    short = run_daily_usage(world.day)
    acme = record(world.acme.organization_id, world.day)
    assert acme.status is UsageStatus.INSUFFICIENT_FUNDS and short.insufficient_funds == 1
    assert balance(world.acme.organization_id) == 0

    credit(world.acme.organization_id, acme.amount_cents, "test:top-up")
    later = run_daily_usage(world.day + dt.timedelta(days=1))

    assert record(world.acme.organization_id, world.day).status is UsageStatus.BILLED
    assert later.charged >= 1
    assert balance(world.acme.organization_id) <= 0 or later.insufficient_funds >= 1
    with uow() as work:
        assert work.ledger.by_key(f"usage:{acme.usage_record_id}") is not None
    assert no_discrepancies()


def test_postpaid_usage_is_accrued_on_the_balance(world: World) -> None:
    with uow() as work:
        work.billing_accounts.update(world.acme.organization_id, {"billing_mode": "postpaid"})
        work.commit()

    run_daily_usage(world.day)

    acme = record(world.acme.organization_id, world.day)
    assert acme.status is UsageStatus.ACCRUED
    assert balance(world.acme.organization_id) == -acme.amount_cents
    assert no_discrepancies()


def test_auto_recharge_tops_up_once_through_stripe(world: World, stripe_sandbox: StripeSandbox) -> None:
    org = world.acme.organization_id
    account = ensure_customer(org, uow=uow())
    assert account.stripe_customer_id is not None
    method = get_stripe_client().v1.payment_methods.attach("pm_card_visa",
                                                           params={"customer": account.stripe_customer_id})
    credit(org, 10_000_000, "test:acme")
    credit(world.globex.organization_id, 10_000_000, "test:globex")
    with uow() as work:
        work.billing_accounts.update(org, {"auto_recharge_enabled": True, "auto_recharge_amount_cents": 50_000,
                                           "auto_recharge_threshold_cents": 10_000_000})
        work.billing_accounts.set_default_payment_method(org, str(method.id))
        work.commit()

    first = run_daily_usage(world.day)
    second = run_daily_usage(world.day)

    with uow() as work:
        entries = work.ledger.recent(org, 10)
        open_or_done = [p for p in work.payments.list(org, _page()).items if p.purpose is PaymentPurpose.AUTO_RECHARGE]
    recharges = [e for e in entries if e.type is EntryType.RECHARGE]
    assert first.recharges == 1 and len(recharges) == 1 and recharges[0].amount_cents == 50_000
    assert [p.status for p in open_or_done] == [PaymentStatus.SUCCEEDED]
    assert (second.charged, second.recharges) == (0, 0)
    assert balance(org) == 10_000_000 - record(org, world.day).amount_cents + 50_000
    assert no_discrepancies()


def _page() -> Any:
    from shared.domain.paging import PageRequest

    return PageRequest(1, 50)
