"""everflow-api: sync one advertiser, affiliate or campaign with Everflow on request, and sync-all jobs.

Per entity: `sync-to-everflow` writes it now, `sync-from-everflow` takes over what network staff changed
in Everflow, `compare-with-everflow` lists the differences. `sync-all-to-everflow` starts (or rejoins)
a resumable job whose progress `GET /api/v1/sync-jobs/{id}` shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import flask
import functions_framework

from shared.adapters.job_launcher import JobLauncher, configured_launcher
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.http.errors import HttpError
from shared.http.router import Call, Reply, Router
from shared.schemas.advertisers import advertiser_read
from shared.schemas.affiliates import affiliate_read
from shared.schemas.campaigns import campaign_read
from shared.schemas.common import ReadModel
from shared.schemas.everflow_sync import (
    AdvertiserPullRead,
    AdvertiserSyncRead,
    AffiliatePullRead,
    AffiliateSyncRead,
    CampaignPullRead,
    CampaignSyncRead,
    DiscrepancyRead,
    SkippedFieldRead,
    SyncAllQuery,
    SyncJobAccepted,
    SyncJobRead,
    sync_job_read,
)
from shared.schemas.provider_mappings import mapping_read
from shared.services import everflow_actions as actions
from shared.services import sync_jobs as jobs
from shared.services.everflow_sync import Everflow
from shared.services.sync_runner import RunOptions, run_sync_job

router = Router("everflow-api", tag="Everflow sync")
ID = "int(min=1, max=9223372036854775807)"
ADVERTISER = f"/api/v1/advertisers/<{ID}:advertiser_id>"
AFFILIATE = f"/api/v1/affiliates/<{ID}:affiliate_id>"
CAMPAIGN = f"/api/v1/campaigns/<{ID}:campaign_id>"
SYNC, SYNC_ALL = "everflow.sync", "everflow.sync_all"
LOCAL_RUN_WORKERS = 2  # a run in the serving process shares its database pool with the requests
Handler = Callable[[Call], Any]


@functools.cache
def launcher() -> JobLauncher:
    """How this process starts job runs (a Cloud Run job in production, a thread locally)."""
    return configured_launcher(functools.partial(run_sync_job, options=RunOptions(workers=LOCAL_RUN_WORKERS)))


def everflow_errors(handler: Handler) -> Handler:
    """Everflow being unavailable is a 503 that says when to try again."""
    @functools.wraps(handler)
    def wrapped(call: Call) -> Any:
        try:
            return handler(call)
        except actions.EverflowUnavailable as exc:
            raise HttpError(503, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after_s)}) from exc
    return wrapped


@router.route("POST", f"{ADVERTISER}/sync-to-everflow", action=SYNC, response=AdvertiserSyncRead,
              summary="Write an advertiser to Everflow now (create or update)")
@everflow_errors
def sync_advertiser_to_everflow(call: Call) -> ReadModel:
    return _push(call, EntityKind.ADVERTISER, call.params["advertiser_id"], AdvertiserSyncRead)


@router.route("POST", f"{ADVERTISER}/sync-from-everflow", action=SYNC, response=AdvertiserPullRead,
              summary="Take over an advertiser's fields changed in Everflow")
@everflow_errors
def sync_advertiser_from_everflow(call: Call) -> ReadModel:
    fields, advertiser = _pull(call, EntityKind.ADVERTISER, call.params["advertiser_id"])
    return AdvertiserPullRead(**fields, advertiser=advertiser_read(advertiser))


@router.route("GET", f"{ADVERTISER}/compare-with-everflow", action=SYNC, response=list[DiscrepancyRead],
              summary="Differences between an advertiser and its Everflow advertiser")
@everflow_errors
def compare_advertiser_with_everflow(call: Call) -> list[DiscrepancyRead]:
    return _compare(call, EntityKind.ADVERTISER, call.params["advertiser_id"])


@router.route("POST", f"{AFFILIATE}/sync-to-everflow", action=SYNC, response=AffiliateSyncRead,
              summary="Write an affiliate to Everflow now (create or update)")
@everflow_errors
def sync_affiliate_to_everflow(call: Call) -> ReadModel:
    return _push(call, EntityKind.AFFILIATE, call.params["affiliate_id"], AffiliateSyncRead)


@router.route("POST", f"{AFFILIATE}/sync-from-everflow", action=SYNC, response=AffiliatePullRead,
              summary="Take over an affiliate's fields changed in Everflow")
@everflow_errors
def sync_affiliate_from_everflow(call: Call) -> ReadModel:
    fields, affiliate = _pull(call, EntityKind.AFFILIATE, call.params["affiliate_id"])
    return AffiliatePullRead(**fields, affiliate=affiliate_read(affiliate))


@router.route("GET", f"{AFFILIATE}/compare-with-everflow", action=SYNC, response=list[DiscrepancyRead],
              summary="Differences between an affiliate and its Everflow affiliate")
@everflow_errors
def compare_affiliate_with_everflow(call: Call) -> list[DiscrepancyRead]:
    return _compare(call, EntityKind.AFFILIATE, call.params["affiliate_id"])


@router.route("POST", f"{CAMPAIGN}/sync-to-everflow", action=SYNC, response=CampaignSyncRead,
              summary="Write a campaign to Everflow now, as an offer of its advertiser")
@everflow_errors
def sync_campaign_to_everflow(call: Call) -> ReadModel:
    return _push(call, EntityKind.CAMPAIGN, call.params["campaign_id"], CampaignSyncRead)


@router.route("POST", f"{CAMPAIGN}/sync-from-everflow", action=SYNC, response=CampaignPullRead,
              summary="Take over a campaign's fields changed in its Everflow offer")
@everflow_errors
def sync_campaign_from_everflow(call: Call) -> ReadModel:
    fields, campaign = _pull(call, EntityKind.CAMPAIGN, call.params["campaign_id"])
    return CampaignPullRead(**fields, campaign=campaign_read(campaign))


@router.route("GET", f"{CAMPAIGN}/compare-with-everflow", action=SYNC, response=list[DiscrepancyRead],
              summary="Differences between a campaign and its Everflow offer")
@everflow_errors
def compare_campaign_with_everflow(call: Call) -> list[DiscrepancyRead]:
    return _compare(call, EntityKind.CAMPAIGN, call.params["campaign_id"])


@router.route("POST", "/api/v1/advertisers/sync-all-to-everflow", action=SYNC_ALL, query=SyncAllQuery,
              response=SyncJobAccepted, status=202, summary="Start a job syncing every out-of-date advertiser")
def sync_all_advertisers(call: Call) -> Reply:
    return _sync_all(call, EntityKind.ADVERTISER)


@router.route("POST", "/api/v1/affiliates/sync-all-to-everflow", action=SYNC_ALL, query=SyncAllQuery,
              response=SyncJobAccepted, status=202, summary="Start a job syncing every out-of-date affiliate")
def sync_all_affiliates(call: Call) -> Reply:
    return _sync_all(call, EntityKind.AFFILIATE)


@router.route("POST", "/api/v1/campaigns/sync-all-to-everflow", action=SYNC_ALL, query=SyncAllQuery,
              response=SyncJobAccepted, status=202, summary="Start a job syncing every out-of-date campaign")
def sync_all_campaigns(call: Call) -> Reply:
    return _sync_all(call, EntityKind.CAMPAIGN)


@router.route("GET", f"/api/v1/sync-jobs/<{ID}:sync_job_id>", action="sync_jobs.read", response=SyncJobRead,
              summary="A sync job's progress")
def get_sync_job(call: Call) -> SyncJobRead:
    job = jobs.get_sync_job(call.params["sync_job_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return sync_job_read(job)


def _push(call: Call, kind: EntityKind, entity_id: int, read: type[ReadModel]) -> ReadModel:
    pushed = actions.sync_to_everflow(kind, entity_id, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    mapping = mapping_read(pushed.mapping).model_dump()["provider_mapping"]
    message = f"{actions.NAMES[kind]} {entity_id} synced to Everflow ({pushed.action})."
    return read.model_validate({"message": message, "action": pushed.action, "provider_mapping": mapping})


def _pull(call: Call, kind: EntityKind, entity_id: int) -> tuple[dict[str, Any], Any]:
    pulled = actions.sync_from_everflow(kind, entity_id, uow=UnitOfWork(call.actor.scope), actor=call.actor,
                                        everflow=Everflow.configured())
    count = len(pulled.changes)
    message = f"Took over {count} field{'s' if count != 1 else ''} from Everflow." if count else \
        "Nothing to take over from Everflow."
    skipped = [SkippedFieldRead.model_validate(item) for item in pulled.skipped]
    return {"message": message, "pulled": pulled.changes, "skipped": skipped}, pulled.entity


def _compare(call: Call, kind: EntityKind, entity_id: int) -> list[DiscrepancyRead]:
    findings = actions.compare_with_everflow(kind, entity_id, uow=UnitOfWork(call.actor.scope), actor=call.actor,
                                             everflow=Everflow.configured())
    return [DiscrepancyRead.model_validate(finding) for finding in findings]


def _sync_all(call: Call, kind: EntityKind) -> Reply:
    # A job is system work over every tenant; only Admin and PlatformOwner reach this (the policy).
    job, created = jobs.start_sync_all(kind, uow=UnitOfWork(TenantScope.everything()), actor=call.actor,
                                       launcher=launcher(), limit=call.query.limit)
    url = f"/api/v1/sync-jobs/{job.sync_job_id}"
    message = f"Started a job syncing {job.total} {kind.value}(s) to Everflow." if created else \
        f"A {kind.value} sync job is already {job.status}; it continues."
    body = SyncJobAccepted(message=message, sync_job_id=job.sync_job_id, status_url=url, sync_job=sync_job_read(job))
    return Reply(body, status=202, headers={"Location": url})


@functions_framework.http
def everflow_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
