"""SQL for what a tenant's reports cover: its entities that have an Everflow id, by kind.

Only mappings with a numeric provider id count (a pending or failed sync has none yet). Row-level
security applies on top: a query can never return another tenant's rows to a tenant's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.db.session import Row, Session
from shared.domain.reporting import MappedEntity


@dataclass(frozen=True)
class Kind:
    """How one kind's Everflow ids are stored: the mapping table, its id column and the entity it names."""

    name: str
    table: str
    provider_id: str
    entity_table: str
    entity_id: str
    status: str


KINDS = (
    Kind("advertisers", "advertiser_provider_mappings", "provider_advertiser_id", "advertisers", "advertiser_id",
         "NULL::text"),
    Kind("affiliates", "affiliate_provider_mappings", "provider_affiliate_id", "affiliates", "affiliate_id",
         "NULL::text"),
    Kind("offers", "campaign_provider_mappings", "provider_offer_id", "campaigns", "campaign_id", "e.status"),
)
# Partners' entities a tenant may name (as the visible-affiliates and visible-campaigns lists do); cross-tenant,
# so these run in a system-scoped transaction. Archived ones stay: their past traffic still needs a name.
PARTNER_AFFILIATES = (
    "SELECT DISTINCT m.provider_affiliate_id AS provider_id, e.affiliate_id AS entity_id, e.name, NULL::text AS status,"
    " e.organization_id FROM organization_associations oa"
    " JOIN affiliates e ON e.organization_id = oa.affiliate_org_id"
    " JOIN affiliate_provider_mappings m ON m.affiliate_id = e.affiliate_id"
    " WHERE oa.advertiser_org_id = :org AND oa.status = 'active'"
    " AND (oa.all_affiliates_visible OR coalesce(oa.visible_affiliate_ids @> to_jsonb(e.affiliate_id), FALSE))"
    " AND m.provider_type = 'everflow' AND m.provider_affiliate_id ~ '^[0-9]{1,18}$' ORDER BY e.affiliate_id"
)
PARTNER_OFFERS = (
    "SELECT DISTINCT m.provider_offer_id AS provider_id, e.campaign_id AS entity_id, e.name, e.status,"
    " e.organization_id FROM organization_associations oa"
    " JOIN campaigns e ON e.organization_id = oa.advertiser_org_id"
    " JOIN campaign_provider_mappings m ON m.campaign_id = e.campaign_id"
    " WHERE oa.affiliate_org_id = :org AND oa.status = 'active' AND e.status <> 'draft'"
    " AND (oa.all_campaigns_visible OR coalesce(oa.visible_campaign_ids @> to_jsonb(e.campaign_id), FALSE))"
    " AND m.provider_type = 'everflow' AND m.provider_offer_id ~ '^[0-9]{1,18}$' ORDER BY e.campaign_id"
)


@dataclass(frozen=True)
class Mapped:
    """An organization's (or, for None, everyone's) entities that have an Everflow id, by kind."""

    advertisers: list[MappedEntity]
    affiliates: list[MappedEntity]
    offers: list[MappedEntity]


class ReportScopeQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def mapped(self, organization_id: int | None) -> Mapped:
        """Advertisers, affiliates and campaigns with an Everflow id, of one organization (None: all in scope),
        in one round trip."""
        where = "TRUE" if organization_id is None else "e.organization_id = :org"
        params = {} if organization_id is None else {"org": organization_id}
        rows = self._session.fetch_all(
            " UNION ALL ".join(f"(SELECT '{kind.name}' AS kind, {_select(kind)} AND {where})" for kind in KINDS)
            + " ORDER BY kind, entity_id", **params)
        found: dict[str, list[MappedEntity]] = {kind.name: [] for kind in KINDS}
        for row in rows:
            found[row["kind"]].append(_entity(row))
        return Mapped(found["advertisers"], found["affiliates"], found["offers"])

    def partner_affiliates(self, advertiser_org_id: int) -> list[MappedEntity]:
        """Affiliates of the advertiser organization's active partners that it may see (system scope only)."""
        return [_entity(row) for row in self._session.fetch_all(PARTNER_AFFILIATES, org=advertiser_org_id)]

    def partner_offers(self, affiliate_org_id: int) -> list[MappedEntity]:
        """Campaigns of the affiliate organization's active partners that it may see (system scope only)."""
        return [_entity(row) for row in self._session.fetch_all(PARTNER_OFFERS, org=affiliate_org_id)]


def _select(kind: Kind) -> str:
    return (f"m.{kind.provider_id} AS provider_id, e.{kind.entity_id} AS entity_id, e.name,"
            f" {kind.status} AS status, e.organization_id FROM {kind.table} m"
            f" JOIN {kind.entity_table} e ON e.{kind.entity_id} = m.{kind.entity_id}"
            f" WHERE m.provider_type = 'everflow' AND m.{kind.provider_id} ~ '^[0-9]{{1,18}}$'")


def _entity(row: Row) -> MappedEntity:
    return MappedEntity(int(row["provider_id"]), int(row["entity_id"]), str(row["name"]), row["status"],
                        int(row["organization_id"]))
