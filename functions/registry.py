"""The function registry: the single source of truth for what is deployed and how it is reached.

`main.py` exports, the local runner's routing, the Terraform variables, Pub/Sub subscriptions and
Cloud Scheduler jobs are all derived from `FUNCTIONS`. Adding an endpoint group is one row plus one module.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Trigger(enum.StrEnum):
    HTTP = "http"
    PUBSUB = "pubsub"
    SCHEDULE = "schedule"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    entry_point: str
    module: str
    trigger: Trigger
    paths: tuple[str, ...] = ()
    memory_mb: int = 256
    timeout_s: int = 60
    max_instances: int = 10
    min_instances: int = 0
    concurrency: int = 8
    secrets: tuple[str, ...] = ()
    topic: str | None = None  # Pub/Sub rows: the topic they subscribe to
    schedule: str | None = None  # schedule rows: unix-cron in UTC (Cloud Scheduler calls the function, OIDC)
    local_every_s: int | None = None  # schedule rows: how often `make run` fires them

    @property
    def signature_type(self) -> str:
        """What functions-framework calls the trigger: Pub/Sub and schedules arrive as CloudEvents."""
        return "http" if self.trigger is Trigger.HTTP else "cloudevent"


DATABASE_SECRETS = ("DATABASE_URL", "REDIS_URL")
AUTH_SECRETS = ("SUPABASE_JWT_SECRET",)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="organizations-api",
        entry_point="organizations_api",
        module="functions.organizations",
        trigger=Trigger.HTTP,
        paths=("/api/v1/organizations", "/api/v1/public/organizations"),
        min_instances=1,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="profiles-api",
        entry_point="profiles_api",
        module="functions.profiles",
        trigger=Trigger.HTTP,
        paths=("/api/v1/users", "/api/v1/profiles"),
        min_instances=1,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="supabase-webhook",
        entry_point="supabase_webhook",
        module="functions.supabase_webhook",
        trigger=Trigger.HTTP,
        paths=("/api/v1/public/webhooks/supabase",),
        max_instances=5,
        secrets=(*DATABASE_SECRETS, "SUPABASE_WEBHOOK_SECRET", "SUPABASE_WEBHOOK_SIGNING_SECRET"),
    ),
    FunctionSpec(
        name="audit-api",
        entry_point="audit_api",
        module="functions.audit",
        trigger=Trigger.HTTP,
        paths=("/api/v1/audit-log",),
        max_instances=5,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="docs-api",
        entry_point="docs_api",
        module="functions.docs",
        trigger=Trigger.HTTP,
        paths=("/api/v1/openapi.json", "/api/docs"),
        memory_mb=256,
        max_instances=3,
        secrets=DATABASE_SECRETS,
    ),
    FunctionSpec(
        name="provider-mappings-api",
        entry_point="provider_mappings_api",
        module="functions.provider_mappings",
        trigger=Trigger.HTTP,
        paths=("/api/v1/advertiser-provider-mappings", "/api/v1/affiliate-provider-mappings",
               "/api/v1/advertisers/*/provider-mappings", "/api/v1/affiliates/*/provider-mappings",
               "/api/v1/campaigns/*/provider-mappings"),
        max_instances=5,
        secrets=(*DATABASE_SECRETS, *AUTH_SECRETS, "CREDENTIALS_KEYS"),
    ),
    FunctionSpec(
        name="advertisers-api",
        entry_point="advertisers_api",
        module="functions.advertisers",
        trigger=Trigger.HTTP,
        paths=("/api/v1/advertisers", "/api/v1/organizations/*/advertisers"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="affiliates-api",
        entry_point="affiliates_api",
        module="functions.affiliates",
        trigger=Trigger.HTTP,
        paths=("/api/v1/affiliates", "/api/v1/organizations/*/affiliates"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="campaigns-api",
        entry_point="campaigns_api",
        module="functions.campaigns",
        trigger=Trigger.HTTP,
        paths=("/api/v1/campaigns", "/api/v1/organizations/*/campaigns", "/api/v1/advertisers/*/campaigns"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="partnerships-api",
        entry_point="partnerships_api",
        module="functions.partnerships",
        trigger=Trigger.HTTP,
        paths=("/api/v1/organization-associations", "/api/v1/organizations/*/associations",
               "/api/v1/organizations/*/visible-affiliates", "/api/v1/organizations/*/visible-campaigns"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="invitations-api",
        entry_point="invitations_api",
        module="functions.invitations",
        trigger=Trigger.HTTP,
        paths=("/api/v1/advertiser-association-invitations", "/api/v1/public/invitations"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="tracking-links-api",
        entry_point="tracking_links_api",
        module="functions.tracking_links",
        trigger=Trigger.HTTP,
        paths=("/api/v1/tracking-links", "/api/v1/organizations/*/tracking-links",
               "/api/v1/affiliates/*/tracking-links", "/api/v1/campaigns/*/tracking-links"),
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
)


FUNCTIONS += (
    FunctionSpec(
        name="everflow-sync",
        entry_point="everflow_sync",
        module="functions.everflow_sync",
        trigger=Trigger.PUBSUB,
        topic="catalogue-events",
        timeout_s=300,
        max_instances=5,
        concurrency=1,
        secrets=(*DATABASE_SECRETS, "EVERFLOW_API_KEY", "CREDENTIALS_KEYS"),
    ),
    FunctionSpec(
        name="everflow-api",
        entry_point="everflow_api",
        module="functions.everflow_api",
        trigger=Trigger.HTTP,
        paths=("/api/v1/advertisers/*/sync-to-everflow", "/api/v1/advertisers/*/sync-from-everflow",
               "/api/v1/advertisers/*/compare-with-everflow", "/api/v1/affiliates/*/sync-to-everflow",
               "/api/v1/affiliates/*/sync-from-everflow", "/api/v1/affiliates/*/compare-with-everflow",
               "/api/v1/campaigns/*/sync-to-everflow", "/api/v1/campaigns/*/sync-from-everflow",
               "/api/v1/campaigns/*/compare-with-everflow", "/api/v1/advertisers/sync-all-to-everflow",
               "/api/v1/affiliates/sync-all-to-everflow", "/api/v1/campaigns/sync-all-to-everflow",
               "/api/v1/sync-jobs"),
        timeout_s=120,  # sync-to waits for Everflow, retries included
        max_instances=3,  # occasional manual syncs; sync-all runs as a Cloud Run job
        secrets=(*DATABASE_SECRETS, *AUTH_SECRETS, "EVERFLOW_API_KEY", "CREDENTIALS_KEYS"),
    ),
    FunctionSpec(
        name="everflow-reconcile",
        entry_point="everflow_reconcile",
        module="functions.everflow_reconcile",
        trigger=Trigger.SCHEDULE,
        schedule="0 4 * * *",
        local_every_s=300,
        timeout_s=540,
        max_instances=1,
        secrets=DATABASE_SECRETS,
    ),
    FunctionSpec(
        name="outbox-relay",
        entry_point="outbox_relay",
        module="functions.outbox_relay",
        trigger=Trigger.SCHEDULE,
        schedule="* * * * *",
        local_every_s=15,
        max_instances=1,
        secrets=DATABASE_SECRETS,
    ),
)


REPORTING_SECRETS = (*DATABASE_SECRETS, *AUTH_SECRETS, "EVERFLOW_API_KEY")

FUNCTIONS += (
    FunctionSpec(
        name="dashboard-api",
        entry_point="dashboard_api",
        module="functions.dashboards",
        trigger=Trigger.HTTP,
        paths=("/api/v1/dashboard", "/api/v1/organizations/*/analytics"),
        memory_mb=512,  # reports of up to 10,000 rows are parsed and cached in process
        min_instances=1,  # dashboards are the first page users open
        secrets=REPORTING_SECRETS,
    ),
    FunctionSpec(
        name="reports-api",
        entry_point="reports_api",
        module="functions.reports",
        trigger=Trigger.HTTP,
        paths=("/api/v1/reports",),
        memory_mb=512,
        timeout_s=120,  # a CSV export may page through Everflow
        max_instances=5,
        secrets=REPORTING_SECRETS,
    ),
    FunctionSpec(
        name="activities-api",
        entry_point="activities_api",
        module="functions.activities",
        trigger=Trigger.HTTP,
        paths=("/api/v1/dashboard/*/*/activities", "/api/v1/dashboard/activity"),
        max_instances=3,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="activity-recorder",
        entry_point="activity_recorder",
        module="functions.activity_recorder",
        trigger=Trigger.PUBSUB,
        topic="catalogue-events",
        max_instances=3,
        concurrency=1,
        secrets=DATABASE_SECRETS,
    ),
)


STRIPE_SECRETS = (*DATABASE_SECRETS, "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")

FUNCTIONS += (
    FunctionSpec(
        name="stripe-webhook",
        entry_point="stripe_webhook",
        module="functions.stripe_webhook",
        trigger=Trigger.HTTP,
        paths=("/api/v1/public/webhooks/stripe",),
        concurrency=16,  # each event is one short transaction; Stripe sends bursts
        max_instances=5,  # 16 x 5 events in flight; the pool caps connections at db_pool_size_max each
        secrets=STRIPE_SECRETS,
    ),
    FunctionSpec(
        name="stripe-event-replay",
        entry_point="stripe_event_replay",
        module="functions.stripe_event_replay",
        trigger=Trigger.SCHEDULE,
        schedule="*/10 * * * *",
        local_every_s=60,
        timeout_s=300,
        max_instances=1,
        secrets=STRIPE_SECRETS,
    ),
    FunctionSpec(
        name="billing-api",
        entry_point="billing_api",
        module="functions.billing",
        trigger=Trigger.HTTP,
        paths=("/api/v1/billing",),
        max_instances=3,  # managers' settings and top-ups: little traffic, and database connections are budgeted
        secrets=(*DATABASE_SECRETS, *AUTH_SECRETS, "STRIPE_SECRET_KEY"),
    ),
    FunctionSpec(
        name="billing-customers",
        entry_point="billing_customers",
        module="functions.billing_customers",
        trigger=Trigger.PUBSUB,
        topic="catalogue-events",
        concurrency=1,
        max_instances=2,
        secrets=(*DATABASE_SECRETS, "STRIPE_SECRET_KEY"),
    ),
    FunctionSpec(
        name="usage-billing",
        entry_point="usage_billing",
        module="functions.usage_billing",
        trigger=Trigger.SCHEDULE,
        schedule="15 2 * * *",
        local_every_s=3600,
        timeout_s=540,  # under the 600 s push deadline; 10,000 organizations take ~30 s (benchmarks/RESULTS.md)
        memory_mb=1024,
        max_instances=1,
        secrets=(*DATABASE_SECRETS, "EVERFLOW_API_KEY", "STRIPE_SECRET_KEY"),
    ),
    FunctionSpec(
        name="invoicing",
        entry_point="invoicing",
        module="functions.invoicing",
        trigger=Trigger.SCHEDULE,
        schedule="0 6 * * *",
        local_every_s=3600,
        timeout_s=540,
        max_instances=1,
        secrets=(*DATABASE_SECRETS, "EVERFLOW_API_KEY", "STRIPE_SECRET_KEY"),
    ),
    FunctionSpec(
        name="agency-delegations-api",
        entry_point="agency_delegations_api",
        module="functions.agency_delegations",
        trigger=Trigger.HTTP,
        paths=("/api/v1/agency-delegations",),
        max_instances=5,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="expiry",
        entry_point="expiry",
        module="functions.expiry",
        trigger=Trigger.SCHEDULE,
        schedule="*/15 * * * *",
        local_every_s=60,
        timeout_s=300,
        max_instances=1,
        concurrency=1,  # one scheduled event at a time: one database connection
        secrets=DATABASE_SECRETS,
    ),
)


FUNCTIONS += (
    FunctionSpec(
        name="intelligence-api",
        entry_point="intelligence_api",
        module="functions.intelligence",
        trigger=Trigger.HTTP,
        # The search keeps the original's path under /api/v1/affiliates: the more specific prefix wins.
        paths=("/api/v1/analytics", "/api/v1/affiliates/search"),
        max_instances=5,  # a search is one short read (benchmarks/RESULTS.md); connections are budgeted
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
)


FUNCTIONS += (  # publisher outreach
    FunctionSpec(
        name="favourite-lists-api",
        entry_point="favourite_lists_api",
        module="functions.favourite_lists",
        trigger=Trigger.HTTP,
        paths=("/api/v1/favorite-publisher-lists",),
        max_instances=3,
        secrets=DATABASE_SECRETS + AUTH_SECRETS,
    ),
    FunctionSpec(
        name="publisher-messaging-api",
        entry_point="publisher_messaging_api",
        module="functions.publisher_messaging",
        trigger=Trigger.HTTP,
        paths=("/api/v1/publisher-messaging",),
        max_instances=3,
        secrets=(*DATABASE_SECRETS, *AUTH_SECRETS, "MESSAGING_SERVICE_TOKEN"),
    ),
)


def by_entry_point(entry_point: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.entry_point == entry_point:
            return spec
    raise KeyError(entry_point)


def http_functions() -> list[FunctionSpec]:
    return [spec for spec in FUNCTIONS if spec.trigger is Trigger.HTTP]


def event_functions(trigger: Trigger) -> list[FunctionSpec]:
    return [spec for spec in FUNCTIONS if spec.trigger is trigger]
