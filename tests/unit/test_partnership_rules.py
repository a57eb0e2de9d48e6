"""The pure rules of partnerships: transitions, who decides, who sets which visibility, which orgs may pair."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain.errors import Conflict, Forbidden, ValidationFailed
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import (
    Association,
    AssociationStatus,
    AssociationType,
    Decision,
    Side,
    check_known_ids,
    check_owned_fields,
    check_sides,
    next_status,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def association(status: AssociationStatus = AssociationStatus.PENDING,
                kind: AssociationType = AssociationType.INVITATION) -> Association:
    return Association(1, 10, 20, status, kind, None, None, True, True, None, None, None, NOW, NOW, None)


@pytest.mark.parametrize(("decision", "start", "end"), [
    (Decision.APPROVE, AssociationStatus.PENDING, AssociationStatus.ACTIVE),
    (Decision.REJECT, AssociationStatus.PENDING, AssociationStatus.REJECTED),
    (Decision.SUSPEND, AssociationStatus.ACTIVE, AssociationStatus.SUSPENDED),
    (Decision.REACTIVATE, AssociationStatus.SUSPENDED, AssociationStatus.ACTIVE),
])
def test_each_decision_moves_from_one_status_to_the_next(decision, start, end) -> None:
    assert next_status(association(start), decision, Side.AFFILIATE) is end


@pytest.mark.parametrize("decision", list(Decision))
def test_a_decision_from_any_other_status_is_a_conflict(decision) -> None:
    from shared.domain.partnerships import TRANSITIONS

    for status in set(AssociationStatus) - {TRANSITIONS[decision][0]}:
        with pytest.raises(Conflict):
            next_status(association(status), decision, Side.AFFILIATE)


@pytest.mark.parametrize(("kind", "asker", "counterpart"), [
    (AssociationType.INVITATION, Side.ADVERTISER, Side.AFFILIATE),
    (AssociationType.REQUEST, Side.AFFILIATE, Side.ADVERTISER),
])
def test_only_the_counterpart_of_the_asker_approves_or_rejects(kind, asker, counterpart) -> None:
    pending = association(kind=kind)
    for decision in (Decision.APPROVE, Decision.REJECT):
        with pytest.raises(Forbidden):
            next_status(pending, decision, asker)
        assert next_status(pending, decision, counterpart) in (AssociationStatus.ACTIVE, AssociationStatus.REJECTED)
        assert next_status(pending, decision, None) is not None  # platform administrators


def test_either_side_suspends_and_reactivates() -> None:
    for side in Side:
        assert next_status(association(AssociationStatus.ACTIVE), Decision.SUSPEND, side) is AssociationStatus.SUSPENDED
        reactivated = next_status(association(AssociationStatus.SUSPENDED), Decision.REACTIVATE, side)
        assert reactivated is AssociationStatus.ACTIVE


def test_the_side_of_an_organization() -> None:
    pair = association()
    assert (pair.side_of(10), pair.side_of(20), pair.side_of(30)) == (Side.ADVERTISER, Side.AFFILIATE, None)


def test_each_side_sets_only_what_it_exposes() -> None:
    check_owned_fields(Side.ADVERTISER, {"visible_campaign_ids", "all_campaigns_visible"}, creating=False)
    check_owned_fields(Side.AFFILIATE, {"visible_affiliate_ids", "all_affiliates_visible"}, creating=False)
    check_owned_fields(None, {"visible_affiliate_ids", "visible_campaign_ids"}, creating=False)
    with pytest.raises(Forbidden):
        check_owned_fields(Side.ADVERTISER, {"visible_affiliate_ids"}, creating=False)
    with pytest.raises(ValidationFailed) as refused:
        check_owned_fields(Side.AFFILIATE, {"all_campaigns_visible", "visible_affiliate_ids"}, creating=True)
    assert [d["field"] for d in refused.value.details] == ["all_campaigns_visible"]


@pytest.mark.parametrize(("advertiser", "affiliate", "same", "fields"), [
    (OrganizationType.ADVERTISER, OrganizationType.AFFILIATE, False, []),
    (OrganizationType.AFFILIATE, OrganizationType.AFFILIATE, False, ["advertiser_org_id"]),
    (OrganizationType.ADVERTISER, OrganizationType.AGENCY, False, ["affiliate_org_id"]),
    (None, OrganizationType.AFFILIATE, False, ["advertiser_org_id"]),
    (OrganizationType.ADVERTISER, OrganizationType.ADVERTISER, True, ["affiliate_org_id", "affiliate_org_id"]),
])
def test_a_partnership_pairs_an_advertiser_with_an_affiliate_organization(advertiser, affiliate, same,
                                                                          fields) -> None:
    if not fields:
        check_sides(advertiser, affiliate, same_org=same)
        return
    with pytest.raises(ValidationFailed) as refused:
        check_sides(advertiser, affiliate, same_org=same)
    assert [d["field"] for d in refused.value.details] == fields


def test_visibility_lists_may_name_only_the_owners_ids() -> None:
    check_known_ids("visible_campaign_ids", [1, 2], {1, 2, 3}, "campaigns")
    check_known_ids("visible_campaign_ids", None, set(), "campaigns")
    with pytest.raises(ValidationFailed) as refused:
        check_known_ids("visible_campaign_ids", [1, 7, 9], {1}, "campaigns")
    assert refused.value.details[0]["message"] == "unknown ids: 7, 9"
