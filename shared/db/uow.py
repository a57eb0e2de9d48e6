"""The unit of work: one transaction, its tenant scope, and the repositories that share it."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from types import TracebackType

from shared.db.pool import Pool, get_pool
from shared.db.session import Session
from shared.domain.principal import TenantScope
from shared.repositories.activities import ActivityRepository
from shared.repositories.advertisers import AdvertiserRepository
from shared.repositories.affiliates import AffiliateRepository
from shared.repositories.agency_delegations import AgencyDelegationRepository
from shared.repositories.associations import AssociationRepository
from shared.repositories.audit import AuditRepository
from shared.repositories.billing_accounts import BillingAccountRepository
from shared.repositories.campaigns import CampaignRepository
from shared.repositories.favourite_lists import FavouriteListRepository
from shared.repositories.intelligence import IntelligenceRepository
from shared.repositories.invitations import InvitationRepository
from shared.repositories.invoices import InvoiceRepository
from shared.repositories.ledger import LedgerRepository
from shared.repositories.organizations import OrganizationRepository
from shared.repositories.outbox import OutboxRepository
from shared.repositories.payment_methods import PaymentMethodRepository
from shared.repositories.payments import PaymentRepository
from shared.repositories.profiles import ProfileRepository
from shared.repositories.provider_mappings import ProviderMappingRepository
from shared.repositories.publisher_messaging import PublisherMessagingRepository
from shared.repositories.stripe_events import StripeEventRepository
from shared.repositories.tracking_links import TrackingLinkRepository
from shared.repositories.usage_records import UsageRecordRepository


class UnitOfWork:
    """`with uow:` opens a transaction limited to `scope`; `uow.commit()` keeps its writes.

    The scope is also declared to PostgreSQL, whose row-level security policies enforce it again,
    so a query that forgot its tenant filter still cannot read or write another tenant's rows.
    """

    session: Session
    organizations: OrganizationRepository
    profiles: ProfileRepository
    audit: AuditRepository
    outbox: OutboxRepository
    advertisers: AdvertiserRepository
    affiliates: AffiliateRepository
    campaigns: CampaignRepository
    provider_mappings: ProviderMappingRepository
    tracking_links: TrackingLinkRepository
    associations: AssociationRepository
    invitations: InvitationRepository
    intelligence: IntelligenceRepository
    activities: ActivityRepository
    billing_accounts: BillingAccountRepository
    ledger: LedgerRepository
    payments: PaymentRepository
    payment_methods: PaymentMethodRepository
    usage_records: UsageRecordRepository
    invoices: InvoiceRepository
    stripe_events: StripeEventRepository
    favourite_lists: FavouriteListRepository
    publisher_messaging: PublisherMessagingRepository
    agency_delegations: AgencyDelegationRepository

    def __init__(self, scope: TenantScope, pool: Pool | None = None) -> None:
        self.scope = scope
        self._pool = pool
        self._stack = ExitStack()
        self._open = False
        self._committed_events: list[str] = []

    def __enter__(self) -> UnitOfWork:
        con = self._stack.enter_context((self._pool or get_pool()).connection())
        self.session = Session(con)
        try:
            self.session.execute(begin_statement(self.scope))
        except BaseException:  # no __exit__ follows a failed __enter__: let the pool discard a dead connection now
            self._stack.__exit__(*sys.exc_info())
            raise
        self._open = True
        self.organizations = OrganizationRepository(self.session)
        self.profiles = ProfileRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.advertisers = AdvertiserRepository(self.session)
        self.affiliates = AffiliateRepository(self.session)
        self.campaigns = CampaignRepository(self.session)
        self.provider_mappings = ProviderMappingRepository(self.session)
        self.associations = AssociationRepository(self.session)
        self.invitations = InvitationRepository(self.session)
        self.intelligence = IntelligenceRepository(self.session)
        self.tracking_links = TrackingLinkRepository(self.session)
        self.activities = ActivityRepository(self.session)
        self.billing_accounts = BillingAccountRepository(self.session)
        self.ledger = LedgerRepository(self.session)
        self.payments = PaymentRepository(self.session)
        self.payment_methods = PaymentMethodRepository(self.session)
        self.usage_records = UsageRecordRepository(self.session)
        self.invoices = InvoiceRepository(self.session)
        self.stripe_events = StripeEventRepository(self.session)
        self.favourite_lists = FavouriteListRepository(self.session)
        self.publisher_messaging = PublisherMessagingRepository(self.session)
        self.agency_delegations = AgencyDelegationRepository(self.session)
        return self

    def commit(self) -> None:
        """Make the writes durable, then hand their events to the publisher; this ends the transaction."""
        self.session.execute("COMMIT")
        self._open = False
        self._committed_events = list(self.outbox.added)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._open:
                self.session.rollback()
        except BaseException:
            self._stack.__exit__(*sys.exc_info())
            raise
        self._stack.__exit__(exc_type, exc, tb)
        if self._committed_events:  # published once the connection is back in the pool
            from shared.events.relay import publish_after_commit  # the relay itself uses a UnitOfWork

            events, self._committed_events = self._committed_events, []
            publish_after_commit(events)


def begin_statement(scope: TenantScope) -> str:
    """START TRANSACTION and the scope settings in one round trip; only ints and a UUID are inlined."""
    if scope.organization_ids is None:
        settings = {"app.cross_tenant": "on"}
    else:
        settings = {
            "app.cross_tenant": "off",
            "app.organization_ids": ",".join(str(int(i)) for i in sorted(scope.organization_ids)),
            "app.user_id": str(scope.user_id) if scope.user_id else "",
        }
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    return f"START TRANSACTION; SELECT {calls}"
