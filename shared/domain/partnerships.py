"""Partnerships between an advertiser organization and an affiliate organization, and who decides what."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from shared.domain.errors import Conflict, Forbidden, ValidationFailed
from shared.domain.organizations import OrganizationType


class AssociationStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class AssociationType(enum.StrEnum):
    INVITATION = "invitation"  # the advertiser side asked
    REQUEST = "request"  # the affiliate side asked


class Side(enum.StrEnum):
    ADVERTISER = "advertiser"
    AFFILIATE = "affiliate"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"


# decision -> (the status it starts from, the status it leads to)
TRANSITIONS = {
    Decision.APPROVE: (AssociationStatus.PENDING, AssociationStatus.ACTIVE),
    Decision.REJECT: (AssociationStatus.PENDING, AssociationStatus.REJECTED),
    Decision.SUSPEND: (AssociationStatus.ACTIVE, AssociationStatus.SUSPENDED),
    Decision.REACTIVATE: (AssociationStatus.SUSPENDED, AssociationStatus.ACTIVE),
}
COUNTERPART_DECISIONS = frozenset({Decision.APPROVE, Decision.REJECT})
CREATOR = {AssociationType.INVITATION: Side.ADVERTISER, AssociationType.REQUEST: Side.AFFILIATE}
ORG_TYPE = {Side.ADVERTISER: OrganizationType.ADVERTISER, Side.AFFILIATE: OrganizationType.AFFILIATE}
# Each side decides what it exposes: the advertiser its campaigns, the affiliate its affiliates.
OWNED_FIELDS = {
    Side.ADVERTISER: ("visible_campaign_ids", "all_campaigns_visible"),
    Side.AFFILIATE: ("visible_affiliate_ids", "all_affiliates_visible"),
}
MAX_VISIBLE_IDS = 1_000


@dataclass(frozen=True)
class Association:
    association_id: int
    advertiser_org_id: int
    affiliate_org_id: int
    status: AssociationStatus
    association_type: AssociationType
    visible_affiliate_ids: list[int] | None
    visible_campaign_ids: list[int] | None
    all_affiliates_visible: bool
    all_campaigns_visible: bool
    requested_by_user_id: UUID | None
    approved_by_user_id: UUID | None
    message: str | None
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None

    def org_of(self, side: Side) -> int:
        return self.advertiser_org_id if side is Side.ADVERTISER else self.affiliate_org_id

    def side_of(self, organization_id: int | None) -> Side | None:
        """Which side an organization is on, if any."""
        return next((side for side in Side if self.org_of(side) == organization_id), None)


@dataclass(frozen=True)
class NewAssociation:
    advertiser_org_id: int
    affiliate_org_id: int
    association_type: AssociationType
    requested_by_user_id: UUID | None
    message: str | None = None
    visible_affiliate_ids: list[int] | None = None
    visible_campaign_ids: list[int] | None = None
    all_affiliates_visible: bool = True
    all_campaigns_visible: bool = True


@dataclass(frozen=True)
class OrganizationSummary:
    """What one side of a partnership may know of the other: no people, no contact details."""

    organization_id: int
    name: str
    type: OrganizationType


@dataclass(frozen=True)
class VisibleAffiliate:
    affiliate_id: int
    organization_id: int
    name: str
    status: str


@dataclass(frozen=True)
class VisibleCampaign:
    campaign_id: int
    organization_id: int
    advertiser_id: int
    name: str
    status: str
    visibility: str
    currency_id: str
    start_date: date | None
    end_date: date | None
    preview_url: str | None
    thumbnail_url: str | None


@dataclass(frozen=True)
class Window:
    """A slice of a list: the original's limit/offset (page/page_size are converted to it)."""

    limit: int
    offset: int = 0


@dataclass(frozen=True)
class AssociationFilter:
    """List filters; `organization_id` matches either side."""

    advertiser_org_id: int | None = None
    affiliate_org_id: int | None = None
    status: AssociationStatus | None = None
    association_type: AssociationType | None = None
    organization_id: int | None = None


def next_status(association: Association, decision: Decision, acting_side: Side | None) -> AssociationStatus:
    """The status a decision leads to; `acting_side` None is a platform administrator.

    Approving or rejecting belongs to the counterpart of whoever asked (403 for the asking side);
    a decision from the wrong status is a 409.
    """
    if decision in COUNTERPART_DECISIONS and acting_side is CREATOR[association.association_type]:
        raise Forbidden(f"Only the other organization can {decision.value} this {association.association_type.value}.")
    start, end = TRANSITIONS[decision]
    if association.status is not start:
        raise Conflict(f"Cannot {decision.value} an association that is {association.status.value}"
                       f" (it must be {start.value}).")
    return end


def check_sides(advertiser_type: OrganizationType | None, affiliate_type: OrganizationType | None,
                same_org: bool) -> None:
    """422 unless the advertiser side is an advertiser organization and the affiliate side an affiliate one."""
    errors = []
    if same_org:
        errors.append(_detail("affiliate_org_id", "must differ from advertiser_org_id"))
    for side, found in ((Side.ADVERTISER, advertiser_type), (Side.AFFILIATE, affiliate_type)):
        if found is None:
            errors.append(_detail(f"{side.value}_org_id", "organization not found"))
        elif found is not ORG_TYPE[side]:
            errors.append(_detail(f"{side.value}_org_id", f"must be an {side.value} organization"))
    if errors:
        raise ValidationFailed("The organizations cannot form a partnership.", details=errors)


def check_owned_fields(side: Side | None, given: set[str], *, creating: bool) -> None:
    """A side sets only the visibility of what it owns; platform administrators (`None`) set any.

    On creation the other side's fields are a 422 (they are the other side's to choose once it
    joins); later changes of them are refused with 403.
    """
    if side is None:
        return
    other = Side.AFFILIATE if side is Side.ADVERTISER else Side.ADVERTISER
    foreign = sorted(given & set(OWNED_FIELDS[other]))
    if not foreign:
        return
    if creating:
        raise ValidationFailed(
            f"The {other.value} organization chooses these fields.",
            details=[_detail(name, f"is set by the {other.value} organization") for name in foreign],
        )
    raise Forbidden(f"Only the {other.value} organization may change {', '.join(foreign)}.")


def check_known_ids(field: str, given: list[int] | None, known: set[int], owner: str) -> None:
    """422 when a visibility list names ids that are not the owning organization's."""
    unknown = sorted(set(given or ()) - known)
    if unknown:
        raise ValidationFailed(
            f"{field} lists ids that are not {owner} of the organization.",
            details=[_detail(field, f"unknown ids: {', '.join(map(str, unknown[:20]))}")],
        )


def association_fields(association: Association) -> dict[str, Any]:
    """The payload of events and the before/after of audit entries."""
    return {
        "association_id": association.association_id,
        "advertiser_org_id": association.advertiser_org_id,
        "affiliate_org_id": association.affiliate_org_id,
        "status": association.status.value,
        "association_type": association.association_type.value,
        "visible_affiliate_ids": association.visible_affiliate_ids,
        "visible_campaign_ids": association.visible_campaign_ids,
        "all_affiliates_visible": association.all_affiliates_visible,
        "all_campaigns_visible": association.all_campaigns_visible,
        "approved_by_user_id": str(association.approved_by_user_id) if association.approved_by_user_id else None,
    }


def _detail(field: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "message": message, "type": "value_error"}
