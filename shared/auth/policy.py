"""The access policy: which roles may perform each action. Tenant scope is applied by the services.

Every route names its action here; a route whose action is missing is denied to everyone, and the
tests fail. Admin and PlatformOwner act across organizations; everyone else only inside their own.
"""

from __future__ import annotations

from shared.auth.tokens import InvalidToken
from shared.domain.errors import Forbidden
from shared.domain.principal import Principal
from shared.domain.roles import Role

EVERYONE = frozenset(Role)
CROSS_TENANT = frozenset({Role.ADMIN, Role.PLATFORM_OWNER})
MANAGERS = CROSS_TENANT | {Role.ADVERTISER_MANAGER, Role.AFFILIATE_MANAGER, Role.AGENCY_MANAGER}
ADVERTISER_SIDE = CROSS_TENANT | {Role.ADVERTISER_MANAGER}
AFFILIATE_SIDE = CROSS_TENANT | {Role.AFFILIATE_MANAGER}
PARTNERS = ADVERTISER_SIDE | AFFILIATE_SIDE
# Users (role User) read their own organization's catalogue and change nothing.
ADVERTISER_READERS = ADVERTISER_SIDE | {Role.USER}
AFFILIATE_READERS = AFFILIATE_SIDE | {Role.USER}
PARTNER_READERS = PARTNERS | {Role.USER}
AGENCY_SIDE = CROSS_TENANT | {Role.AGENCY_MANAGER}
DELEGATION_SIDES = ADVERTISER_SIDE | AGENCY_SIDE

POLICY: dict[str, frozenset[Role]] = {
    "users.me": EVERYONE,
    "profiles.create": EVERYONE,
    "profiles.upsert": EVERYONE,
    "profiles.update": EVERYONE,
    "profiles.delete": MANAGERS,
    "organizations.create": EVERYONE,
    "organizations.list": EVERYONE,
    "organizations.read": EVERYONE,
    "organizations.update": MANAGERS,
    "organizations.archive": CROSS_TENANT,
    "audit.read": MANAGERS,
    "advertisers.create": ADVERTISER_SIDE,
    "advertisers.read": ADVERTISER_READERS,
    "advertisers.update": ADVERTISER_SIDE,
    "advertisers.archive": ADVERTISER_SIDE,
    "affiliates.create": AFFILIATE_SIDE,
    "affiliates.read": AFFILIATE_READERS,
    "affiliates.update": AFFILIATE_SIDE,
    "affiliates.archive": AFFILIATE_SIDE,
    "campaigns.create": ADVERTISER_SIDE,
    "campaigns.read": ADVERTISER_READERS,
    "campaigns.update": ADVERTISER_SIDE,
    "campaigns.archive": ADVERTISER_SIDE,  # its own action: agencies need campaign_delete for it
    "provider_mappings.read": PARTNERS,
    "provider_mappings.manage": PARTNERS,
    "associations.create": PARTNERS,
    "associations.read": PARTNER_READERS,
    "associations.decide": PARTNERS,
    "associations.visible": PARTNERS,
    "invitations.create": ADVERTISER_SIDE,
    "invitations.manage": ADVERTISER_SIDE,
    "invitations.read": PARTNERS,
    "invitations.use": AFFILIATE_SIDE,
    "tracking_links.create": PARTNERS,
    "tracking_links.read": PARTNER_READERS,
    "tracking_links.update": PARTNERS,
    "everflow.sync": PARTNERS,
    "everflow.sync_all": CROSS_TENANT,
    "sync_jobs.read": CROSS_TENANT,
    "dashboards.read": EVERYONE,
    "dashboards.manage": MANAGERS,
    "system.health": CROSS_TENANT,
    "reports.read": EVERYONE,
    "activities.read": EVERYONE,
    "activities.track": MANAGERS,
    "billing.read": MANAGERS,
    "billing.manage": MANAGERS,
    "billing.mode": frozenset({Role.ADMIN}),  # postpaid lifts the balance check: only platform administrators
    # Intelligence data is global: every manager role reads it (agencies too), only Admin writes it.
    "intelligence.read": MANAGERS,
    "intelligence.write": frozenset({Role.ADMIN}),
    # Publisher outreach, as the original: advertiser and affiliate managers (users read their organization's).
    "favorite_lists.read": PARTNER_READERS,
    "favorite_lists.manage": PARTNERS,
    "publisher_messaging.read": PARTNER_READERS,
    "publisher_messaging.send": PARTNERS,
    # Agency delegations: the advertiser grants and steers, the agency accepts, either side ends one.
    "agency_delegations.permissions": EVERYONE,
    "agency_delegations.read": DELEGATION_SIDES,
    "agency_delegations.check": DELEGATION_SIDES,
    "agency_delegations.create": ADVERTISER_SIDE,
    "agency_delegations.manage": ADVERTISER_SIDE,
    "agency_delegations.accept": AGENCY_SIDE,
    "agency_delegations.end": DELEGATION_SIDES,
    "agency_delegations.agency": AGENCY_SIDE,
    "agency_delegations.advertiser": ADVERTISER_SIDE,
}

# Actions a verified token may perform before its user has a profile.
WITHOUT_PROFILE = frozenset({"users.me", "profiles.create"})


def authorize(principal: Principal | None, action: str) -> None:
    """401 without a profile (unless the action allows it), 403 unless the role may act."""
    if principal is None:
        if action in WITHOUT_PROFILE:
            return
        raise InvalidToken("no_profile", "The user has no profile yet.")
    if principal.role not in POLICY.get(action, frozenset()):
        raise Forbidden("Your role may not perform this action.")
