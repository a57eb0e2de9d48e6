"""Organization use cases: create, read, list, update, archive."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from shared.auth.authenticate import principals
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Forbidden, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.organizations import (
    AdvertiserExtraInfo,
    AffiliateExtraInfo,
    ExtraInfo,
    Organization,
    OrganizationType,
    extra_info_kind,
)
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.domain.profiles import MANAGER_OF
from shared.domain.roles import Role
from shared.schemas.organizations import OrganizationCreate, OrganizationUpdate

PUBLIC_TYPES = frozenset(OrganizationType) - {OrganizationType.PLATFORM_OWNER}


def create_organization(cmd: OrganizationCreate, *, uow: UnitOfWork, actor: Actor) -> Organization:
    """Create an organization and its extra information in one transaction (`uow` must be system-scoped).

    `platform_owner` needs Admin or PlatformOwner. A User without an organization who creates one
    becomes its manager.
    """
    principal = actor.principal
    allowed = frozenset(OrganizationType) if principal and principal.role.crosses_tenants else PUBLIC_TYPES
    if cmd.type not in allowed:
        raise Forbidden("Only platform administrators can create a platform_owner organization.")
    extra = _extra_info(cmd.type, cmd)
    with uow:
        organization = uow.organizations.add(cmd.name, cmd.type, cmd.contact_email, cmd.description)
        org_id = organization.organization_id
        if extra is not None:
            uow.organizations.save_extra_info(org_id, extra)
        organization = _with_extra(organization, extra)
        uow.audit.record(actor, AuditEntry("organization.create", "organization", str(org_id), org_id,
                                           diff({}, _fields(organization))))
        _open_billing_account(uow, actor, organization)
        if principal and principal.organization_id is None and principal.role is Role.USER:
            _join_as_manager(uow, actor, organization)
        uow.commit()
    return organization


def _open_billing_account(uow: UnitOfWork, actor: Actor, organization: Organization) -> None:
    """Every organization has a billing account; its Stripe customer follows the event (and first use)."""
    email = organization.contact_email or (actor.principal.email if actor.principal else None)
    account = uow.billing_accounts.open(organization.organization_id, email)
    uow.outbox.add(DomainEvent("billing_account.opened", "billing_account", str(account.billing_account_id),
                               organization.organization_id))


def get_organization(organization_id: int, *, uow: UnitOfWork, actor: Actor, with_extra: bool = False) -> Organization:
    with uow:
        organization = _visible(uow, organization_id)
        if with_extra:
            organization = _with_extra(organization, uow.organizations.extra_info(organization))
    return organization


def list_organizations(page: PageRequest, *, uow: UnitOfWork, actor: Actor, org_type: OrganizationType | None = None,
                       include_archived: bool = False) -> PageResult[Organization]:
    """The organizations the caller may see; the scope is applied in SQL, before paging."""
    with uow:
        return uow.organizations.list(uow.scope, page, org_type=org_type, include_archived=include_archived)


def update_organization(organization_id: int, cmd: OrganizationUpdate, *, uow: UnitOfWork,
                        actor: Actor) -> Organization:
    """Partial update; only platform administrators may change an organization's type."""
    with uow:
        current = _visible(uow, organization_id, for_update=True)
        current = _with_extra(current, uow.organizations.extra_info(current))
        new_type = cmd.type or current.type
        if new_type is not current.type and not actor.user.role.crosses_tenants:
            raise Forbidden("Only platform administrators can change an organization's type.")
        extra = _extra_info(new_type, cmd, current.extra_info)
        changes: dict[str, Any] = cmd.model_dump(
            include={"name", "type", "contact_email", "description"}, exclude_unset=True
        )
        organization = uow.organizations.update(organization_id, changes) if changes else current
        if extra is not None:
            uow.organizations.save_extra_info(organization_id, extra)
        organization = _with_extra(organization, uow.organizations.extra_info(organization))
        changed = diff(_fields(current), _fields(organization))
        if changed:
            uow.audit.record(actor, AuditEntry("organization.update", "organization", str(organization_id),
                                               organization_id, changed))
        uow.commit()
    return organization


def archive_organization(organization_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """Archive instead of deleting: the history and money attached to it stay."""
    with uow:
        current = _visible(uow, organization_id, for_update=True)
        uow.organizations.archive(organization_id)
        uow.audit.record(actor, AuditEntry("organization.archive", "organization", str(organization_id),
                                           organization_id, {"status": {"before": current.status.value,
                                                                        "after": "archived"}}))
        uow.commit()


def _join_as_manager(uow: UnitOfWork, actor: Actor, organization: Organization) -> None:
    principal = actor.user
    role = MANAGER_OF[organization.type]
    uow.profiles.update(principal.user_id, {"organization_id": organization.organization_id, "role_id": role})
    uow.audit.record(actor, AuditEntry(
        "profile.update", "profile", str(principal.user_id), organization.organization_id,
        {"organization_id": {"before": None, "after": organization.organization_id},
         "role_id": {"before": int(principal.role), "after": int(role)}}))
    principals.forget(principal.user_id)


def _visible(uow: UnitOfWork, organization_id: int, *, for_update: bool = False) -> Organization:
    organization = uow.organizations.get(organization_id, uow.scope, for_update=for_update)
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


def _fields(organization: Organization) -> dict[str, Any]:
    values = asdict(organization)
    for key in ("organization_id", "created_at", "updated_at"):
        values.pop(key)
    extra = values.pop("extra_info") or {}
    values.update({f"extra_info.{k}": v for k, v in extra.items()})
    return values
