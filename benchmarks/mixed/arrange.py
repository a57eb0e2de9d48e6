"""What the mixed load's simulated users need: organizations, users and tokens, partnerships, links.

The organizations, their synced Everflow catalogue and the users with their tokens are the
dashboards benchmark's (benchmarks/dashboards.py: 30:15:4:1 advertiser/affiliate/agency/platform
organizations, a quarter of each one's users managers). On top, each advertiser organization gets an
active partnership with one affiliate organization (in turn) and one tracking link per campaign to
that partner's affiliate, with a tracking URL as a finished generation leaves it, so the QR route
has something to draw. The result is the plan locust reads (benchmarks/locustfile.py).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.auth_overhead import in_process
from benchmarks.dashboards import User
from benchmarks.list_latency import _owner_transaction
from benchmarks.servers import Platform
from shared.db.session import Session
from shared.domain.roles import Role


@dataclass
class OrgPlan:
    """One organization as the load sees it: who logs in, what it owns, what its partner owns."""

    organization_id: int
    kind: str
    zone: str
    managers: list[str] = field(default_factory=list)  # tokens
    users: list[str] = field(default_factory=list)  # tokens of every role, managers too
    readers: list[str] = field(default_factory=list)  # tokens of role User
    periods: list[str] = field(default_factory=list)
    advertiser_id: int | None = None
    campaigns: list[int] = field(default_factory=list)
    affiliates: list[int] = field(default_factory=list)
    links: list[int] = field(default_factory=list)
    partner_campaigns: list[int] = field(default_factory=list)  # the other side's, for new links
    partner_affiliates: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    ports: dict[str, int]
    orgs: list[OrgPlan]
    stripe_secret: str
    supabase_secret: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))


def org_plans(users: list[User]) -> dict[int, OrgPlan]:
    """The users grouped by organization (in the order they were made)."""
    plans: dict[int, OrgPlan] = {}
    for user in users:
        org = user.org
        plan = plans.setdefault(org.organization_id, OrgPlan(org.organization_id, org.kind, org.zone))
        plan.users.append(user.token)
        plan.periods.append(user.period)
        (plan.readers if user.role is Role.USER else plan.managers).append(user.token)
    return plans


def pair_partners(advertisers: list[int], affiliates: list[int]) -> list[tuple[int, int]]:
    """Each advertiser organization with one affiliate organization, in turn (affiliates get several)."""
    return list(zip(advertisers, itertools.cycle(affiliates), strict=False)) if affiliates else []


def complete(platform: Platform, users: list[User]) -> list[OrgPlan]:
    """Add the catalogue ids, the partnerships and their links to the organizations of `users`."""
    plans = org_plans(users)
    with in_process(platform.env):
        _owner_transaction(lambda session: _Completer(session, plans).everything())
    return list(plans.values())


@dataclass(frozen=True)
class _Completer:
    session: Session
    plans: dict[int, OrgPlan]

    def everything(self) -> None:
        ids = list(self.plans)
        for row in self.session.fetch_all(
                "SELECT organization_id, advertiser_id, campaign_id FROM campaigns"
                " WHERE organization_id = ANY(CAST(:ids AS BIGINT[])) ORDER BY campaign_id", ids=ids):
            plan = self.plans[row["organization_id"]]
            plan.advertiser_id = plan.advertiser_id or row["advertiser_id"]
            plan.campaigns.append(row["campaign_id"])
        for row in self.session.fetch_all(
                "SELECT organization_id, affiliate_id FROM affiliates"
                " WHERE organization_id = ANY(CAST(:ids AS BIGINT[])) ORDER BY affiliate_id", ids=ids):
            self.plans[row["organization_id"]].affiliates.append(row["affiliate_id"])
        of_kind = defaultdict(list)
        for plan in self.plans.values():
            of_kind[plan.kind].append(plan.organization_id)
        for advertiser_org, affiliate_org in pair_partners(of_kind["advertiser"], of_kind["affiliate"]):
            self.partnership(self.plans[advertiser_org], self.plans[affiliate_org])

    def partnership(self, advertiser: OrgPlan, affiliate: OrgPlan) -> None:
        """An active partnership that shows everything, and one link per campaign to the partner's affiliate."""
        self.session.execute(
            "INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, status, association_type,"
            " approved_at) VALUES (:adv, :aff, 'active', 'invitation', now())",
            adv=advertiser.organization_id, aff=affiliate.organization_id)
        advertiser.partner_affiliates += affiliate.affiliates
        affiliate.partner_campaigns += advertiser.campaigns
        for campaign in advertiser.campaigns:
            link = int(self.session.fetch_value(
                "INSERT INTO tracking_links (organization_id, affiliate_org_id, campaign_id, affiliate_id, name,"
                " tracking_url) VALUES (:adv, :aff, :campaign, :affiliate, :name, :url) RETURNING tracking_link_id",
                adv=advertiser.organization_id, aff=affiliate.organization_id, campaign=campaign,
                affiliate=affiliate.affiliates[0], name=f"Load link {campaign}",
                url=f"https://track.example/c/{campaign}?aff={affiliate.affiliates[0]}"))
            advertiser.links.append(link)
            affiliate.links.append(link)
