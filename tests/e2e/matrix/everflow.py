"""Matrix cases of the Everflow sync routes and sync jobs (the sandbox stands in for Everflow)."""

from __future__ import annotations

from collections.abc import Callable

from shared.domain.provider_mappings import EntityKind
from tests.e2e.matrix import Case, Context, Request, own, tenant
from tests.e2e.matrix.advertisers import advertiser_of

Build = Callable[[Context], Request]


def _affiliate(ctx: Context) -> int:
    return int(ctx.fixture("sql")("INSERT INTO affiliates (organization_id, name, status)"
                                  " VALUES (:org, 'Matrix Affiliate', 'active') RETURNING affiliate_id",
                                  org=ctx.target_org)[0]["affiliate_id"])


def _campaign(ctx: Context) -> int:
    return int(ctx.fixture("sql")(
        "INSERT INTO campaigns (organization_id, advertiser_id, name, status, destination_url)"
        " VALUES (:org, :adv, 'Matrix', 'active', 'https://matrix.example/offer') RETURNING campaign_id",
        org=ctx.target_org, adv=advertiser_of(ctx))[0]["campaign_id"])


MAKE: dict[EntityKind, Callable[[Context], int]] = {
    EntityKind.ADVERTISER: advertiser_of, EntityKind.AFFILIATE: _affiliate, EntityKind.CAMPAIGN: _campaign}


def _entity(kind: EntityKind, suffix: str, *, synced: bool = False) -> Build:
    def build(ctx: Context) -> Request:
        entity_id = MAKE[kind](ctx)
        if synced:  # sync-from needs an Everflow object to read
            from shared.services.everflow_sync import sync_entity

            ctx.fixture("everflow").faults.reset()
            sync_entity(kind, entity_id)
        return f"/api/v1/{kind.value}s/{entity_id}/{suffix}", None
    return build


def _sync_all(kind: EntityKind) -> Build:
    def build(ctx: Context) -> Request:
        ctx.request.addfinalizer(_runs_finished)  # before the test's database goes away
        return f"/api/v1/{kind.value}s/sync-all-to-everflow", None
    return build


def _runs_finished() -> None:
    from functions.everflow_api import launcher
    from shared.adapters.job_launcher import ThreadLauncher

    started = launcher()
    if isinstance(started, ThreadLauncher):
        assert started.wait(30), "a sync job run did not finish"


def _job(ctx: Context) -> Request:
    rows = ctx.fixture("sql")("INSERT INTO sync_jobs (kind, status) VALUES ('advertiser', 'completed')"
                              " RETURNING sync_job_id")
    return f"/api/v1/sync-jobs/{rows[0]['sync_job_id']}", None


CASES: dict[tuple[str, str], Case] = {}
for _kind in (EntityKind.ADVERTISER, EntityKind.AFFILIATE, EntityKind.CAMPAIGN):
    _one = f"/api/v1/{_kind.value}s/{{{_kind.value}_id}}"
    CASES[("POST", f"{_one}/sync-to-everflow")] = (_entity(_kind, "sync-to-everflow"), tenant(200))
    CASES[("POST", f"{_one}/sync-from-everflow")] = (_entity(_kind, "sync-from-everflow", synced=True), tenant(200))
    CASES[("GET", f"{_one}/compare-with-everflow")] = (_entity(_kind, "compare-with-everflow"), tenant(200))
    CASES[("POST", f"/api/v1/{_kind.value}s/sync-all-to-everflow")] = (_sync_all(_kind), own(202))
CASES[("GET", "/api/v1/sync-jobs/{sync_job_id}")] = (_job, own(200))
