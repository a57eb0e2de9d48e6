"""What an organization's reports may show: its Everflow filter, and our names for Everflow's ids.

Tenant scoping is the security core of reporting: a report of a non-platform organization is always
filtered by the Everflow ids of its own entities (from the provider mappings), and an organization
without any synced entity gets an empty filter, which shows nothing and never calls Everflow.

- advertiser: its advertisers' Everflow ids (every offer of those advertisers, whoever runs it);
- affiliate: its affiliates' Everflow ids (every offer they run);
- agency: its own advertisers' ids, plus its clients' (advertiser organizations whose active delegation
  grants it analytics_view);
- platform_owner: the whole network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from shared.adapters.everflow.reporting import ReportFilter
from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import Permission
from shared.domain.errors import NotFound
from shared.domain.organizations import OrganizationType
from shared.domain.principal import TenantScope
from shared.domain.reporting import MappedEntity
from shared.repositories.report_scope import ReportScopeQueries

Lookup = Mapping[int, MappedEntity]


@dataclass(frozen=True)
class TenantReportScope:
    """One organization's reporting view: its filter, and Everflow id → our entity for labelling rows."""

    organization_id: int
    organization_type: OrganizationType
    organization_name: str
    filter: ReportFilter
    offers: Lookup = field(default_factory=dict)  # Everflow offer id → our campaign
    affiliates: Lookup = field(default_factory=dict)  # Everflow affiliate id → our affiliate
    advertisers: Lookup = field(default_factory=dict)  # Everflow advertiser id → our advertiser

    @property
    def tenant(self) -> str:
        """The report cache's tenant: invalidating it drops every cached report of this organization."""
        return f"org:{self.organization_id}"

    def campaign(self, offer_id: int | str) -> MappedEntity | None:
        """Our campaign behind an Everflow offer id (as a report row names it), if it is ours to know."""
        return _find(self.offers, offer_id)

    def affiliate(self, affiliate_id: int | str) -> MappedEntity | None:
        return _find(self.affiliates, affiliate_id)

    def advertiser(self, advertiser_id: int | str) -> MappedEntity | None:
        return _find(self.advertisers, advertiser_id)

    def offer_ids(self, campaign_ids: Iterable[int]) -> frozenset[int]:
        """The Everflow offer ids of some of our campaigns (unsynced ones have none)."""
        wanted = set(campaign_ids)
        return frozenset(item.provider_id for item in self.offers.values() if item.entity_id in wanted)

    def affiliate_ids(self, affiliate_ids: Iterable[int]) -> frozenset[int]:
        """The Everflow ids of some of our affiliates."""
        wanted = set(affiliate_ids)
        return frozenset(item.provider_id for item in self.affiliates.values() if item.entity_id in wanted)

    def narrowed(self, *, campaign_ids: Iterable[int] | None = None,
                 affiliate_ids: Iterable[int] | None = None) -> TenantReportScope:
        """This scope limited to some of our campaigns and/or affiliates (None: no limit); never wider."""
        offers = None if campaign_ids is None else self.offer_ids(campaign_ids)
        affiliates = None if affiliate_ids is None else self.affiliate_ids(affiliate_ids)
        return replace(self, filter=self.filter.narrow(offers=offers, affiliates=affiliates))


def _find(lookup: Lookup, provider_id: int | str) -> MappedEntity | None:
    text = str(provider_id)
    return lookup.get(int(text)) if text.isdigit() else None


def report_scope(organization_id: int, *, uow: UnitOfWork, directory: UnitOfWork | None = None) -> TenantReportScope:
    """The reporting view of an organization the caller may see; NotFound otherwise.

    With `directory` (a system-scoped unit of work, opened here) the lookups also name the partners'
    entities the organization may see: an advertiser's partner affiliates, an affiliate's partner
    campaigns. They only label rows and allow narrowing; the filter stays the organization's own.
    """
    organization = uow.organizations.get(organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    queries = ReportScopeQueries(uow.session)
    platform = organization.type is OrganizationType.PLATFORM_OWNER
    owner = None if platform else organization_id
    mapped = queries.mapped(owner)
    advertisers, affiliates, offers = mapped.advertisers, mapped.affiliates, mapped.offers
    if organization.type is OrganizationType.AGENCY:
        advertisers += delegated_advertisers(organization_id, uow=uow)
    if directory is not None:
        partner_affiliates, partner_offers = _partners(organization_id, organization.type, directory)
        affiliates, offers = partner_affiliates + affiliates, partner_offers + offers  # own entries win
    return TenantReportScope(
        organization_id, organization.type, organization.name,
        _filter(organization.type, advertisers, affiliates),
        offers=_by_id(offers), affiliates=_by_id(affiliates), advertisers=_by_id(advertisers))


def delegated_advertisers(organization_id: int, *, uow: UnitOfWork) -> list[MappedEntity]:
    """Advertisers of the agency's clients whose active, unexpired delegation grants it analytics_view.

    The delegations are read in the agency's own scope (row-level security shows them to both sides);
    the clients' advertisers belong to other tenants, so their Everflow ids come from a system-scoped
    transaction limited to exactly those client organizations.
    """
    clients = uow.agency_delegations.clients_granting(organization_id, Permission.ANALYTICS_VIEW)
    if not clients:
        return []
    with UnitOfWork(TenantScope.everything()) as directory:
        queries = ReportScopeQueries(directory.session)
        return [advertiser for client in clients for advertiser in queries.mapped(client).advertisers]


def _partners(organization_id: int, kind: OrganizationType,
              directory: UnitOfWork) -> tuple[list[MappedEntity], list[MappedEntity]]:
    """(partner affiliates, partner campaigns) the organization may name."""
    if kind not in (OrganizationType.ADVERTISER, OrganizationType.AFFILIATE):
        return [], []
    with directory:
        queries = ReportScopeQueries(directory.session)
        if kind is OrganizationType.ADVERTISER:
            return queries.partner_affiliates(organization_id), []
        return [], queries.partner_offers(organization_id)


def _filter(kind: OrganizationType, advertisers: list[MappedEntity],
            affiliates: list[MappedEntity]) -> ReportFilter:
    if kind is OrganizationType.PLATFORM_OWNER:
        return ReportFilter.unlimited()
    if kind is OrganizationType.AFFILIATE:
        return ReportFilter(affiliates=frozenset(item.provider_id for item in affiliates))
    return ReportFilter(advertisers=frozenset(item.provider_id for item in advertisers))


def _by_id(items: list[MappedEntity]) -> dict[int, MappedEntity]:
    return {item.provider_id: item for item in items}
