"""Tenants with synced Everflow entities, arranged in one step for reporting tests.

Each helper writes our rows in SQL (organization, advertiser or affiliate, campaigns) and creates
the matching Everflow objects in the sandbox through the production `EverflowClient`, then the
provider-mapping rows that tie them together, as a finished sync would. No outbox events are
written, so no background sync runs. The sandbox generates traffic for every (offer, affiliate)
pair it holds, so an advertiser shows numbers only once some affiliate exists in the sandbox.

    acme = synced_advertiser_org(sql, make_org, everflow, "Acme", campaigns=2)
    publisher = synced_affiliate_org(sql, make_org, everflow, "Publisher")
    acme.everflow_advertiser_id, acme.offer_ids, acme.campaigns   # campaign id -> Everflow offer id
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.adapters.everflow.client import EverflowClient
from shared.adapters.everflow.sandbox import SandboxServer

Sql = Callable[..., list[dict[str, Any]]]
MakeOrg = Callable[..., int]


@dataclass(frozen=True)
class AdvertiserOrg:
    organization_id: int
    advertiser_id: int
    everflow_advertiser_id: int
    campaigns: dict[int, int]  # our campaign id -> Everflow offer id

    @property
    def offer_ids(self) -> frozenset[int]:
        return frozenset(self.campaigns.values())


@dataclass(frozen=True)
class AffiliateOrg:
    organization_id: int
    affiliate_id: int
    everflow_affiliate_id: int


def sandbox_client(sandbox: SandboxServer) -> EverflowClient:
    """The production client pointed at the sandbox (no shared budget: tests arrange, they do not measure)."""
    return EverflowClient(sandbox.api_base_url, sandbox.api_key)


def synced_advertiser_org(sql: Sql, make_org: MakeOrg, sandbox: SandboxServer, name: str = "Acme", *,
                          campaigns: int = 2, organization_id: int | None = None, org_type: str = "advertiser",
                          payout: float = 5.0, revenue: float = 8.0) -> AdvertiserOrg:
    """An advertiser organization (or `org_type`, e.g. agency) with one advertiser and `campaigns` active
    campaigns (CPA `payout`, RPA `revenue`), all synced to the sandbox and mapped."""
    org = organization_id or make_org(org_type, f"{name} {uuid.uuid4().hex[:4]}")
    client = sandbox_client(sandbox)
    try:
        advertiser_id = _insert(sql, "advertisers", "advertiser_id", organization_id=org, name=name, status="active")
        remote_advertiser = _everflow_advertiser(client, name)
        _map(sql, "advertiser", advertiser_id, org, remote_advertiser)
        mapped = {}
        for number in range(1, campaigns + 1):
            campaign_name = f"{name} offer {number}"
            campaign_id = _insert(sql, "campaigns", "campaign_id", organization_id=org, advertiser_id=advertiser_id,
                                  name=campaign_name, status="active")
            offer_id = _everflow_offer(client, remote_advertiser, campaign_name, payout, revenue)
            _map(sql, "campaign", campaign_id, org, offer_id)
            mapped[campaign_id] = offer_id
    finally:
        client.close()
    return AdvertiserOrg(org, advertiser_id, remote_advertiser, mapped)


def synced_affiliate_org(sql: Sql, make_org: MakeOrg, sandbox: SandboxServer, name: str = "Publisher", *,
                         organization_id: int | None = None) -> AffiliateOrg:
    """An affiliate organization with one active affiliate, synced to the sandbox and mapped."""
    org = organization_id or make_org("affiliate", f"{name} {uuid.uuid4().hex[:4]}")
    client = sandbox_client(sandbox)
    try:
        affiliate_id = _insert(sql, "affiliates", "affiliate_id", organization_id=org, name=name, status="active")
        remote = int(client.create_affiliate({"name": name, "account_status": "active", "network_employee_id": 1,
                                              "default_currency_id": "USD"})["network_affiliate_id"])
    finally:
        client.close()
    _map(sql, "affiliate", affiliate_id, org, remote)
    return AffiliateOrg(org, affiliate_id, remote)


def entity_report(sandbox: SandboxServer, body: dict[str, Any]) -> dict[str, Any]:
    """The sandbox's own answer to an entity report body, fetched directly (the expected numbers)."""
    client = sandbox_client(sandbox)
    try:
        return client.entity_report(body)
    finally:
        client.close()


def _insert(sql: Sql, table: str, key: str, **values: Any) -> int:
    names = ", ".join(values)
    placeholders = ", ".join(f":{name}" for name in values)
    return int(sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders}) RETURNING {key}", **values)[0][key])


def _map(sql: Sql, kind: str, entity_id: int, organization_id: int, provider_id: int) -> None:
    provider_column = {"advertiser": "provider_advertiser_id", "affiliate": "provider_affiliate_id",
                       "campaign": "provider_offer_id"}[kind]
    sql(f"INSERT INTO {kind}_provider_mappings ({kind}_id, organization_id, provider_type, {provider_column},"
        " sync_status, synced_version) VALUES (:entity, :org, 'everflow', :remote, 'synced', 1)",
        entity=entity_id, org=organization_id, remote=str(provider_id))


def _everflow_advertiser(client: EverflowClient, name: str) -> int:
    body = {"name": name, "account_status": "active", "network_employee_id": 1, "default_currency_id": "USD"}
    return int(client.create_advertiser(body)["network_advertiser_id"])


def _everflow_offer(client: EverflowClient, advertiser_id: int, name: str, payout: float, revenue: float) -> int:
    body = {"network_advertiser_id": advertiser_id, "name": name, "offer_status": "active",
            "destination_url": "https://shop.example/landing?tid={transaction_id}",
            "payout_revenue": [{"payout_type": "cpa", "payout_amount": payout, "revenue_type": "rpa",
                                "revenue_amount": revenue, "is_default": True, "is_private": False}]}
    return int(client.create_offer(body)["network_offer_id"])
