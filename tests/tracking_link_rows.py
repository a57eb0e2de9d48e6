"""Rows that tracking-link tests arrange directly (campaigns, affiliates, partnerships, links)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Sql = Callable[..., list[dict[str, Any]]]


@dataclass(frozen=True)
class Partners:
    advertiser_org: int
    affiliate_org: int
    campaign_id: int
    affiliate_id: int

    def body(self, **fields: Any) -> dict[str, Any]:
        """A create body for a link of this campaign and affiliate."""
        return {"name": "Spring promo", "campaign_id": self.campaign_id, "affiliate_id": self.affiliate_id} | fields


def add_campaign(sql: Sql, organization_id: int, status: str = "active") -> int:
    advertiser = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Brand') RETURNING advertiser_id",
                     org=organization_id)[0]["advertiser_id"]
    return int(sql("INSERT INTO campaigns (organization_id, advertiser_id, name, status)"
                   " VALUES (:org, :adv, :name, :status) RETURNING campaign_id",
                   org=organization_id, adv=advertiser, name=f"Campaign {uuid.uuid4().hex[:6]}",
                   status=status)[0]["campaign_id"])


def add_affiliate(sql: Sql, organization_id: int, status: str = "active") -> int:
    return int(sql("INSERT INTO affiliates (organization_id, name, status) VALUES (:org, :name, :status)"
                   " RETURNING affiliate_id", org=organization_id, name=f"Publisher {uuid.uuid4().hex[:6]}",
                   status=status)[0]["affiliate_id"])


def add_partnership(sql: Sql, advertiser_org: int, affiliate_org: int, status: str = "active", *,
                    campaigns: list[int] | None = None, affiliates: list[int] | None = None) -> int:
    """A partnership; `campaigns`/`affiliates` restrict its visibility to those ids."""
    return int(sql(
        "INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, status, association_type,"
        " all_campaigns_visible, visible_campaign_ids, all_affiliates_visible, visible_affiliate_ids)"
        " VALUES (:adv, :aff, :status, 'invitation', :all_c, CAST(:c AS JSONB), :all_a, CAST(:a AS JSONB))"
        " RETURNING association_id",
        adv=advertiser_org, aff=affiliate_org, status=status, all_c=campaigns is None,
        c=json.dumps(campaigns) if campaigns is not None else None, all_a=affiliates is None,
        a=json.dumps(affiliates) if affiliates is not None else None)[0]["association_id"])


def arrange_partners(sql: Sql, make_org: Callable[..., int], *, advertiser_org: int | None = None,
                     affiliate_org: int | None = None, partnership: str | None = "active") -> Partners:
    """An advertiser organization with an active campaign, an affiliate organization with an affiliate."""
    advertiser_org = advertiser_org or make_org("advertiser")
    affiliate_org = affiliate_org or make_org("affiliate")
    if partnership is not None:
        add_partnership(sql, advertiser_org, affiliate_org, partnership)
    return Partners(advertiser_org, affiliate_org, add_campaign(sql, advertiser_org),
                    add_affiliate(sql, affiliate_org))


def add_link(sql: Sql, partners: Partners, **columns: Any) -> int:
    """A link inserted directly (no partnership check), e.g. with a tracking URL already set."""
    values = {"organization_id": partners.advertiser_org, "affiliate_org_id": partners.affiliate_org,
              "campaign_id": partners.campaign_id, "affiliate_id": partners.affiliate_id,
              "name": "Arranged link"} | columns
    names = ", ".join(values)
    placeholders = ", ".join(f":{k}" for k in values)
    return int(sql(f"INSERT INTO tracking_links ({names}) VALUES ({placeholders}) RETURNING tracking_link_id",
                   **values)[0]["tracking_link_id"])


def events(sql: Sql, link_id: int) -> list[dict[str, Any]]:
    return sql("SELECT event_type, aggregate_version, organization_id, payload FROM outbox"
               " WHERE aggregate_type = 'tracking_link' AND aggregate_id = :id ORDER BY created_at, event_id",
               id=str(link_id))


def audit(sql: Sql, link_id: int) -> list[dict[str, Any]]:
    return sql("SELECT action, organization_id, changes FROM audit_log WHERE entity_type = 'tracking_link'"
               " AND entity_id = :id ORDER BY audit_id", id=str(link_id))
