"""Request and response models of the agency delegations API (the original's JSON names).

`permissions` is a JSON array of strings; the original returned a JSON-encoded string (a bug).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, RootModel

from shared.domain.agency_delegations import Delegation, DelegationStatus, Permission
from shared.domain.partnerships import OrganizationSummary
from shared.schemas.common import LongText, PositiveId, QueryModel, ReadModel, StrictModel
from shared.schemas.partnerships import OrganizationSummaryRead, WindowQuery


def _canonical(permissions: list[Permission]) -> list[Permission]:
    """Distinct, in the catalogue's order (so equal sets compare and audit as equal)."""
    return [p for p in Permission if p in set(permissions)]


Permissions = Annotated[list[Permission], Field(min_length=1, max_length=len(Permission)),
                        AfterValidator(_canonical)]
AnyPermissions = Annotated[list[Permission], Field(min_length=1, max_length=len(Permission))]


class DelegationCreate(StrictModel):
    agency_org_id: PositiveId
    advertiser_org_id: PositiveId
    permissions: Permissions
    message: LongText | None = None
    expires_at: AwareDatetime | None = Field(default=None, description="RFC 3339, in the future; null: never.")


class PermissionsUpdate(StrictModel):
    """Replaces the whole set."""

    permissions: Permissions


class ExpirationUpdate(StrictModel):
    """`null` (or omitted) clears the expiry."""

    expires_at: AwareDatetime | None = None


class PermissionCheck(StrictModel):
    agency_org_id: PositiveId
    advertiser_org_id: PositiveId
    permissions: AnyPermissions


class DelegationListQuery(WindowQuery):
    agency_org_id: PositiveId | None = None
    advertiser_org_id: PositiveId | None = None
    status: DelegationStatus | None = None
    include_expired: bool = False
    with_details: bool = False


class DetailsQuery(QueryModel):
    with_details: bool = False


class DelegationRead(ReadModel):
    delegation_id: int
    agency_org_id: int
    advertiser_org_id: int
    status: DelegationStatus = Field(description="Effective: a pending or active delegation past expires_at is"
                                                 " expired even before the expiry job has run.")
    permissions: list[Permission]
    delegated_by_user_id: UUID | None
    accepted_by_user_id: UUID | None
    message: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    agency_organization: OrganizationSummaryRead | None = Field(default=None, description="with_details=true")
    advertiser_organization: OrganizationSummaryRead | None = Field(default=None, description="with_details=true")


class PermissionCatalogue(RootModel[list[Permission]]):
    """The 16 permission strings, as a bare array."""


class PermissionCheckRead(ReadModel):
    has_permissions: bool
    permission_results: dict[str, bool]
    delegation_status: DelegationStatus | None = Field(
        description="The pair's latest delegation's effective status; null when there is none.")
    is_expired: bool


def delegation_read(delegation: Delegation, now: datetime,
                    organizations: dict[int, OrganizationSummary] | None = None) -> DelegationRead:
    read = DelegationRead.model_validate({**delegation.__dict__, "status": delegation.effective_status(now)})
    if organizations is None:
        return read
    return read.model_copy(update={
        "agency_organization": _summary(organizations.get(delegation.agency_org_id)),
        "advertiser_organization": _summary(organizations.get(delegation.advertiser_org_id)),
    })


def _summary(found: OrganizationSummary | None) -> OrganizationSummaryRead | None:
    return OrganizationSummaryRead.model_validate(found) if found else None
