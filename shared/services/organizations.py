"""Organization use cases: create, read, list, update, archive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.errors import Forbidden, NotFound, ValidationFailed
from shared.domain.organizations import (
    AdvertiserExtraInfo,
    AffiliateExtraInfo,
    ExtraInfo,
    Organization,
    OrganizationType,
    extra_info_kind,
)
from shared.domain.paging import PageRequest, PageResult, TenantScope
from shared.domain.principal import Principal
from shared.schemas.organizations import OrganizationCreate, OrganizationUpdate

PUBLIC_TYPES = frozenset(OrganizationType) - {OrganizationType.PLATFORM_OWNER}


def scope_of(principal: Principal) -> TenantScope:
    if principal.role.crosses_tenants:
        return TenantScope.everything()
    if principal.organization_id is None:
        return TenantScope.only()
    return TenantScope.only(principal.organization_id)


def create_organization(cmd: OrganizationCreate, *, uow: UnitOfWork, principal: Principal | None) -> Organization:
    """Create an organization and its extra information in one transaction.

    Without a principal (the public route) or without a cross-tenant role, `platform_owner` is refused.
    """
    allowed = frozenset(OrganizationType) if principal and principal.role.crosses_tenants else PUBLIC_TYPES
    if cmd.type not in allowed:
        raise Forbidden("Only platform administrators can create a platform_owner organization.")
    extra = _extra_info(cmd.type, cmd)
    with uow:
        organization = uow.organizations.add(cmd.name, cmd.type, cmd.contact_email, cmd.description)
        if extra is not None:
            uow.organizations.save_extra_info(organization.organization_id, extra)
        uow.commit()
    return _with_extra(organization, extra)


def get_organization(organization_id: int, *, uow: UnitOfWork, principal: Principal,
                     with_extra: bool = False) -> Organization:
    with uow:
        organization = _visible(uow, organization_id, principal)
        if with_extra:
            organization = _with_extra(organization, uow.organizations.extra_info(organization))
    return organization


def list_organizations(page: PageRequest, *, uow: UnitOfWork, principal: Principal,
                       org_type: OrganizationType | None = None,
                       include_archived: bool = False) -> PageResult[Organization]:
    """The organizations the caller may see; the scope is applied in SQL, before paging."""
    with uow:
        return uow.organizations.list(scope_of(principal), page, org_type=org_type,
                                      include_archived=include_archived)


def update_organization(organization_id: int, cmd: OrganizationUpdate, *, uow: UnitOfWork,
                        principal: Principal) -> Organization:
    """Partial update; only platform administrators may change an organization's type."""
    with uow:
        current = _visible(uow, organization_id, principal, for_update=True)
        new_type = cmd.type or current.type
        if new_type is not current.type and not principal.role.crosses_tenants:
            raise Forbidden("Only platform administrators can change an organization's type.")
        extra = _extra_info(new_type, cmd, uow.organizations.extra_info(current))
        changes: dict[str, Any] = cmd.model_dump(
            include={"name", "type", "contact_email", "description"}, exclude_unset=True
        )
        organization = uow.organizations.update(organization_id, changes) if changes else current
        if extra is not None:
            uow.organizations.save_extra_info(organization_id, extra)
        organization = _with_extra(organization, uow.organizations.extra_info(organization))
        uow.commit()
    return organization


def archive_organization(organization_id: int, *, uow: UnitOfWork, principal: Principal) -> None:
    """Archive instead of deleting: the history and money attached to it stay."""
    with uow:
        _visible(uow, organization_id, principal, for_update=True)
        uow.organizations.archive(organization_id)
        uow.commit()


def _visible(uow: UnitOfWork, organization_id: int, principal: Principal, *,
             for_update: bool = False) -> Organization:
    organization = uow.organizations.get(organization_id, scope_of(principal), for_update=for_update)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    return organization


def _extra_info(org_type: OrganizationType, cmd: OrganizationCreate | OrganizationUpdate,
                base: ExtraInfo | None = None) -> ExtraInfo | None:
    """The given extra information merged over `base`; the kind that does not fit the type is refused."""
    given = {AdvertiserExtraInfo: cmd.advertiser_extra_info, AffiliateExtraInfo: cmd.affiliate_extra_info}
    kind = extra_info_kind(org_type)
    wrong = [k for k, v in given.items() if v is not None and k is not kind]
    if wrong:
        field = "advertiser_extra_info" if wrong[0] is AdvertiserExtraInfo else "affiliate_extra_info"
        raise ValidationFailed(
            f"{field} does not apply to an organization of type {org_type.value}.",
            details=[{"field": field, "location": "body", "message": "does not match the organization type",
                      "type": "value_error"}],
        )
    data = given[kind] if kind else None
    if kind is None or data is None:
        return None
    return replace(base if isinstance(base, kind) else kind(), **data.model_dump(exclude_unset=True))


def _with_extra(organization: Organization, extra: ExtraInfo | None) -> Organization:
    return replace(organization, extra_info=extra)
