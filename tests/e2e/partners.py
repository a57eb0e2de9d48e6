"""Arranging partnerships for the e2e tests: organizations, their managers, and catalogue rows in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.roles import Role

ASSOCIATIONS = "/api/v1/organization-associations"
INVITATIONS = "/api/v1/advertiser-association-invitations"


@dataclass(frozen=True)
class Side:
    org: int
    manager: Any  # tests.conftest.User


@dataclass(frozen=True)
class Partners:
    advertiser: Side
    affiliate: Side


def new_side(make_org, make_user, org_type: str, name: str | None = None) -> Side:
    org = make_org(org_type, name=name)
    role = Role.ADVERTISER_MANAGER if org_type == "advertiser" else Role.AFFILIATE_MANAGER
    return Side(org, make_user(role, org))


def new_partners(make_org, make_user) -> Partners:
    return Partners(new_side(make_org, make_user, "advertiser", "Acme Ads"),
                    new_side(make_org, make_user, "affiliate", "Deal Finders"))


def add_affiliate(sql, org: int, name: str = "Affiliate", status: str = "active") -> int:
    return int(sql("INSERT INTO affiliates (organization_id, name, status) VALUES (:org, :name, :status)"
                   " RETURNING affiliate_id", org=org, name=name, status=status)[0]["affiliate_id"])


def add_campaign(sql, org: int, name: str = "Campaign", status: str = "active") -> int:
    advertiser = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Brand') RETURNING advertiser_id",
                     org=org)[0]["advertiser_id"]
    return int(sql("INSERT INTO campaigns (organization_id, advertiser_id, name, status)"
                   " VALUES (:org, :adv, :name, :status) RETURNING campaign_id",
                   org=org, adv=advertiser, name=name, status=status)[0]["campaign_id"])


def invite(api, partners: Partners, **extra: Any) -> Any:
    body = {"advertiser_org_id": partners.advertiser.org, "affiliate_org_id": partners.affiliate.org, **extra}
    return api.post(f"{ASSOCIATIONS}/invitations", json=body, headers=partners.advertiser.manager.headers)


def ask(api, partners: Partners, **extra: Any) -> Any:
    body = {"advertiser_org_id": partners.advertiser.org, "affiliate_org_id": partners.affiliate.org, **extra}
    return api.post(f"{ASSOCIATIONS}/requests", json=body, headers=partners.affiliate.manager.headers)


def active_partnership(api, partners: Partners, **extra: Any) -> int:
    association_id = int(invite(api, partners, **extra).json()["association_id"])
    approved = api.post(f"{ASSOCIATIONS}/{association_id}/approve", headers=partners.affiliate.manager.headers)
    assert approved.status_code == 200, approved.text
    return association_id


def count(sql, table: str, where: str = "TRUE", **params: Any) -> int:
    return int(sql(f"SELECT count(*) AS n FROM {table} WHERE {where}", **params)[0]["n"])
