"""The delegation rules without a database: effective status, who takes each step, what each action needs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.agency_delegations import (
    Delegation,
    DelegationStatus,
    Permission,
    PermissionNotDelegated,
    Side,
    Step,
    next_status,
    require_delegated,
    required_permission,
)
from shared.domain.errors import Conflict, Forbidden
from shared.domain.principal import Actor, Principal
from shared.domain.roles import Role

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def delegation(status: DelegationStatus, expires_at: datetime | None = None) -> Delegation:
    return Delegation(1, 10, 20, status, [Permission.CAMPAIGN_VIEW], None, None, None, expires_at,
                      NOW - timedelta(days=1), NOW, None)


@pytest.mark.parametrize(("status", "effective"), [
    (DelegationStatus.PENDING, DelegationStatus.EXPIRED),
    (DelegationStatus.ACTIVE, DelegationStatus.EXPIRED),
    (DelegationStatus.SUSPENDED, DelegationStatus.SUSPENDED),
    (DelegationStatus.REVOKED, DelegationStatus.REVOKED),
])
def test_a_pending_or_active_grant_past_its_expiry_is_expired(status, effective) -> None:
    lapsed = delegation(status, NOW - timedelta(seconds=1))
    assert lapsed.effective_status(NOW) is effective
    assert delegation(status, NOW + timedelta(seconds=1)).effective_status(NOW) is status
    assert not lapsed.grants(Permission.CAMPAIGN_VIEW, NOW)


def test_only_an_active_unexpired_grant_holding_the_permission_grants_it() -> None:
    active = delegation(DelegationStatus.ACTIVE)
    assert active.grants(Permission.CAMPAIGN_VIEW, NOW)
    assert not active.grants(Permission.CAMPAIGN_MANAGE, NOW)
    assert not delegation(DelegationStatus.SUSPENDED).grants(Permission.CAMPAIGN_VIEW, NOW)


@pytest.mark.parametrize(("step", "start", "side", "end"), [
    (Step.ACCEPT, DelegationStatus.PENDING, Side.AGENCY, DelegationStatus.ACTIVE),
    (Step.REJECT, DelegationStatus.PENDING, Side.ADVERTISER, DelegationStatus.REVOKED),
    (Step.REJECT, DelegationStatus.PENDING, Side.AGENCY, DelegationStatus.REVOKED),
    (Step.SUSPEND, DelegationStatus.ACTIVE, Side.ADVERTISER, DelegationStatus.SUSPENDED),
    (Step.REACTIVATE, DelegationStatus.SUSPENDED, Side.ADVERTISER, DelegationStatus.ACTIVE),
    (Step.REVOKE, DelegationStatus.SUSPENDED, Side.AGENCY, DelegationStatus.REVOKED),
    (Step.PERMISSIONS, DelegationStatus.ACTIVE, Side.ADVERTISER, DelegationStatus.ACTIVE),
    (Step.ACCEPT, DelegationStatus.PENDING, None, DelegationStatus.ACTIVE),
])
def test_each_step_by_its_side(step, start, side, end) -> None:
    assert next_status(delegation(start), step, side, NOW) is end


def test_the_wrong_side_is_forbidden_before_the_status_is_looked_at() -> None:
    with pytest.raises(Forbidden):
        next_status(delegation(DelegationStatus.REVOKED), Step.ACCEPT, Side.ADVERTISER, NOW)
    with pytest.raises(Conflict, match="expired"):
        next_status(delegation(DelegationStatus.ACTIVE, NOW), Step.REVOKE, Side.AGENCY, NOW)


def test_what_each_action_needs() -> None:
    assert required_permission("campaigns.archive") is Permission.CAMPAIGN_DELETE
    assert required_permission("reports.read", export=True) is Permission.ANALYTICS_EXPORT
    assert required_permission("profiles.update") is None
    assert required_permission("agency_delegations.create") is None


def test_finer_rules_check_the_delegations_permissions() -> None:
    agency_manager = Principal(uuid.uuid4(), Role.AGENCY_MANAGER, 10)
    on_behalf = Actor(agency_manager.acting_for(20, 1, frozenset({"campaign_manage"})))
    assert on_behalf.user.role is Role.ADVERTISER_MANAGER and on_behalf.scope.organization_ids == {20}
    assert on_behalf.user.real == agency_manager
    with pytest.raises(PermissionNotDelegated):
        require_delegated(on_behalf, Permission.CAMPAIGN_DELETE)
    require_delegated(on_behalf, Permission.CAMPAIGN_MANAGE)
    require_delegated(Actor(Principal(uuid.uuid4(), Role.ADVERTISER_MANAGER, 20)), Permission.CAMPAIGN_DELETE)
