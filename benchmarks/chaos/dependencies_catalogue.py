"""A catalogue created through the API, and whether Everflow holds it exactly: the Everflow checks of two scenarios.

Entities go into the demo advertiser and affiliate organizations of the seed (already partners), so
every tracking link is allowed. "Converged" is read from the final state only: the database's
mappings and links against the sandbox's stored objects, one object per entity by its identity label.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from benchmarks.chaos.dependencies_stack import Stack, sql
from shared.adapters.everflow.mapping import provider_id
from shared.db.uow import UnitOfWork
from shared.domain.principal import SYSTEM, TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.repositories.provider_mappings import TABLES
from shared.services.everflow_actions import compare_with_everflow
from shared.services.everflow_sync import SYNCED_KINDS, Everflow

SANDBOX_KINDS = {EntityKind.ADVERTISER: "advertisers", EntityKind.AFFILIATE: "affiliates",
                 EntityKind.CAMPAIGN: "offers"}


@dataclass(frozen=True)
class Shape:
    """How many of each to create: campaigns per advertiser, links per campaign (to distinct affiliates)."""

    advertisers: int
    affiliates: int
    campaigns_per_advertiser: int
    links_per_campaign: int

    @property
    def entities(self) -> int:
        campaigns = self.advertisers * self.campaigns_per_advertiser
        return self.advertisers + self.affiliates + campaigns + campaigns * self.links_per_campaign


def create(stack: Stack, shape: Shape, tag: str) -> int:
    """Create the catalogue through the API as the Admin; return how many requests failed (each must be 2xx)."""
    advertiser_org = stack.platform.organization_id
    affiliate_org = int(sql("SELECT min(organization_id) AS id FROM organizations WHERE type = 'affiliate'")[0]["id"])
    answers = Counter[bool]()
    affiliates = [_create(stack, "/api/v1/affiliates", answers, "affiliate", name=f"{tag} publisher {n}",
                          organization_id=affiliate_org, status="active") for n in range(shape.affiliates)]
    for n in range(shape.advertisers):
        advertiser = _create(stack, "/api/v1/advertisers", answers, "advertiser", name=f"{tag} brand {n}",
                             organization_id=advertiser_org, status="active", contact_email=f"brand{n}@chaos.example")
        for c in range(shape.campaigns_per_advertiser):
            campaign = _create(stack, "/api/v1/campaigns", answers, "campaign", organization_id=advertiser_org,
                               advertiser_id=advertiser, name=f"{tag} offer {n}.{c}", status="active",
                               visibility="public", destination_url=f"https://brand{n}.chaos.example/{c}",
                               payout_type="cpa", payout_amount=5.0 + c, revenue_type="rpa", revenue_amount=8.0 + c)
            for link in range(shape.links_per_campaign):
                affiliate = affiliates[(n + c + link) % len(affiliates)]
                _create(stack, "/api/v1/tracking-links", answers, "tracking_link", name=f"{tag} link {n}.{c}.{link}",
                        campaign_id=campaign, affiliate_id=affiliate, sub1=f"s{link}")
    return answers[False]


def _create(stack: Stack, path: str, answers: Counter[bool], kind: str, **body: object) -> int:
    response = stack.api("POST", path, json=body)
    answers[response.ok] += 1
    if not response.ok:
        raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
    payload = response.json()
    return int((payload.get(kind) or payload)[f"{kind}_id"])


@dataclass(frozen=True)
class Census:
    """The catalogue against the sandbox, per kind and for tracking links."""

    entities: dict[str, int]  # kind -> live entities in the database
    unsynced: dict[str, int]  # kind -> entities without a synced, current mapping
    objects: dict[str, int]  # kind -> objects the sandbox holds with one of our identity labels
    duplicates: int  # identity labels held by more than one sandbox object
    orphans: int  # sandbox objects whose label names no entity, or an id no mapping names
    links_without_url: int
    links: int

    @property
    def converged(self) -> bool:
        one_each = all(self.objects[kind] == self.entities[kind] for kind in self.entities)
        return one_each and not any(self.unsynced.values()) and not self.duplicates and not self.orphans \
            and not self.links_without_url


def census(stack: Stack) -> Census:
    entities, unsynced, objects = {}, {}, {}
    duplicates = orphans = 0
    for kind in SYNCED_KINDS:
        t = TABLES[kind]
        mapped = {int(r["id"]): str(r["remote"]) for r in sql(
            f"SELECT e.{t.entity} AS id, m.{t.provider_id} AS remote FROM {t.entity_table} e JOIN {t.table} m"
            f" USING ({t.entity}) WHERE m.provider_type = 'everflow' AND m.sync_status = 'synced'"
            f" AND m.{t.provider_id} IS NOT NULL AND m.synced_version >= e.version AND e.status <> 'archived'")}
        live = _live(kind)
        labels = _labelled(stack, kind)
        entities[kind.value], unsynced[kind.value] = len(live), len(live - mapped.keys())
        objects[kind.value] = sum(1 for ids in labels.values() if ids)
        duplicates += sum(1 for ids in labels.values() if len(ids) > 1)
        orphans += sum(1 for entity, ids in labels.items() if entity not in live or mapped.get(entity) not in ids)
    links = sql("SELECT count(*) AS n, count(*) FILTER (WHERE tracking_url IS NULL) AS missing FROM tracking_links"
                " WHERE status <> 'archived'")[0]
    return Census(entities, unsynced, objects, duplicates, orphans, int(links["missing"]), int(links["n"]))


def _live(kind: EntityKind) -> set[int]:
    t = TABLES[kind]
    return {int(r["id"]) for r in sql(f"SELECT {t.entity} AS id FROM {t.entity_table} WHERE status <> 'archived'")}


def _labelled(stack: Stack, kind: EntityKind) -> dict[int, list[str]]:
    """Entity id -> the ids of the sandbox objects carrying its identity label."""
    prefix = f"abp:{kind.value}:"
    found: dict[int, list[str]] = {}
    for record in stack.everflow.objects(SANDBOX_KINDS[kind]):
        remote = provider_id(kind, record)
        for label in record.get("labels") or []:
            if label.startswith(prefix):
                found.setdefault(int(label.removeprefix(prefix)), []).append(remote)
    return found


def drifted(stack: Stack) -> int:
    """Synced entities whose Everflow object differs field by field (the platform's own comparison)."""
    everflow = Everflow.configured()
    count = 0
    for kind in SYNCED_KINDS:
        for entity_id in _live(kind):
            findings = compare_with_everflow(kind, entity_id, uow=UnitOfWork(TenantScope.everything()),
                                             actor=SYSTEM, everflow=everflow)
            count += bool(findings)
    return count
