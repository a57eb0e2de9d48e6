"""Dashboards: one per organization type, and the report columns each type's figures are broken down by."""

from __future__ import annotations

import enum

from shared.domain.organizations import OrganizationType


class DashboardKind(enum.StrEnum):
    ADVERTISER = "advertiser"
    AFFILIATE = "affiliate"
    AGENCY = "agency"
    PLATFORM = "platform"

    @classmethod
    def of(cls, organization_type: OrganizationType) -> DashboardKind:
        return KINDS[organization_type]


KINDS = {OrganizationType.ADVERTISER: DashboardKind.ADVERTISER, OrganizationType.AFFILIATE: DashboardKind.AFFILIATE,
         OrganizationType.AGENCY: DashboardKind.AGENCY, OrganizationType.PLATFORM_OWNER: DashboardKind.PLATFORM}
# The breakdown's columns. Rows stay (offer, affiliate) pairs at most, since an offer has one advertiser.
BREAKDOWN: dict[DashboardKind, tuple[str, ...]] = {
    DashboardKind.ADVERTISER: ("offer", "affiliate"),
    DashboardKind.AFFILIATE: ("offer", "affiliate"),
    DashboardKind.AGENCY: ("advertiser", "offer"),
    DashboardKind.PLATFORM: ("advertiser", "offer", "affiliate"),
}
