"""Invitation-link use cases: create, manage, rotate the token, redeem, and the public view of a link.

Redeeming and the public view start from a token, not from a tenant: they run in a system-scoped unit
of work that the function module builds for them, and check membership themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.domain.events import DomainEvent
from shared.domain.invitations import (
    Attempt,
    Invitation,
    InvitationFilter,
    InvitationStatus,
    NewInvitation,
    Refusal,
    UsageRecord,
    check_expiry,
    check_update,
    hash_token,
    invitation_fields,
    is_well_formed,
    new_token,
    refusal,
)
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import (
    Association,
    AssociationType,
    NewAssociation,
    OrganizationSummary,
    Window,
    check_known_ids,
)
from shared.domain.principal import Actor
from shared.schemas.invitations import InvitationCreate, InvitationUpdate, InvitationUse
from shared.services.associations import record as record_association

EVENT_VERBS = {"create": "created", "update": "updated", "disable": "disabled", "use": "used"}


@dataclass(frozen=True)
class Issued:
    """An invitation with its token, which exists in clear only in this response."""

    invitation: Invitation
    token: str


@dataclass(frozen=True)
class Client:
    ip_address: str | None
    user_agent: str | None


class _Refused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.message)
        self.reason = reason


def now() -> datetime:
    return datetime.now(UTC)


def create_invitation(cmd: InvitationCreate, *, uow: UnitOfWork, actor: Actor) -> Issued:
    """A new link of the caller's advertiser organization; the token is returned here and stored hashed."""
    principal = actor.user
    if not principal.role.crosses_tenants and principal.organization_id != cmd.advertiser_org_id:
        raise Forbidden("Only members of the advertiser organization can create its invitations.")
    check_expiry(cmd.expires_at, now())
    token = new_token()
    new = NewInvitation(created_by_user_id=actor.user.user_id, **cmd.model_dump())
    with uow:
        advertiser = uow.organizations.get(cmd.advertiser_org_id, uow.scope)
        if advertiser is None or advertiser.type is not OrganizationType.ADVERTISER:
            raise _not_an_advertiser(advertiser is None)
        _check_campaigns(uow, cmd.advertiser_org_id, cmd.default_visible_campaign_ids)
        invitation = uow.invitations.add(new, hash_token(token))
        _record(uow, actor, "create", None, invitation)
        uow.commit()
    return Issued(invitation, token)


def list_invitations(where: InvitationFilter, window: Window, *, uow: UnitOfWork,
                     actor: Actor) -> tuple[list[Invitation], int]:
    """The invitations of the caller's advertiser organization (every organization's across tenants)."""
    with uow:
        return uow.invitations.find(uow.scope, where, window)


def get_invitation(invitation_id: int, *, uow: UnitOfWork,
                   actor: Actor) -> tuple[Invitation, OrganizationSummary | None]:
    with uow:
        invitation = _visible(uow, invitation_id)
        organizations = uow.associations.organizations([invitation.advertiser_org_id])
    return invitation, organizations.get(invitation.advertiser_org_id)


def update_invitation(invitation_id: int, cmd: InvitationUpdate, *, uow: UnitOfWork, actor: Actor) -> Invitation:
    changes = cmd.model_dump(exclude_unset=True)
    if "status" in changes:
        changes["status"] = InvitationStatus(changes["status"])
    with uow:
        current = _visible(uow, invitation_id, for_update=True)
        check_update(current, changes, now())
        _check_campaigns(uow, current.advertiser_org_id, changes.get("default_visible_campaign_ids"))
        invitation = uow.invitations.update(invitation_id, changes) if changes else current
        if invitation != current:
            _record(uow, actor, "update", current, invitation)
        uow.commit()
    return invitation


def disable_invitation(invitation_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """Disable instead of deleting: the usage history stays. Disabling twice changes nothing."""
    with uow:
        current = _visible(uow, invitation_id, for_update=True)
        if current.status is InvitationStatus.DISABLED:
            return
        invitation = uow.invitations.update(invitation_id, {"status": InvitationStatus.DISABLED})
        _record(uow, actor, "disable", current, invitation)
        uow.commit()


def rotate_token(invitation_id: int, *, uow: UnitOfWork, actor: Actor) -> Issued:
    """A new token (the old link stops working): the only way to get a link again, as tokens are stored hashed."""
    token = new_token()
    with uow:
        _visible(uow, invitation_id, for_update=True)
        invitation = uow.invitations.replace_token_hash(invitation_id, hash_token(token))
        uow.audit.record(actor, AuditEntry("invitation.rotate_token", "invitation", str(invitation_id),
                                           invitation.advertiser_org_id, {"token": "rotated"}))
        uow.outbox.add(DomainEvent("invitation.updated", "invitation", str(invitation_id),
                                   invitation.advertiser_org_id, payload={**invitation_fields(invitation),
                                                                          "token_rotated": True}))
        uow.commit()
    return Issued(invitation, token)


def usage_history(invitation_id: int, window: Window, *, uow: UnitOfWork,
                  actor: Actor) -> tuple[list[UsageRecord], int]:
    with uow:
        _visible(uow, invitation_id)
        return uow.invitations.usage(invitation_id, window)


def existing_link(invitation_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """The link cannot be rebuilt from a hash: 409 pointing at rotate-token (404 for someone else's)."""
    with uow:
        _visible(uow, invitation_id)
    raise Conflict("The link is shown only once, when the invitation is created; POST"
                   f" /api/v1/advertiser-association-invitations/{invitation_id}/rotate-token issues a new one.")


def public_view(token: str, *, uow: UnitOfWork) -> tuple[Invitation, OrganizationSummary | None]:
    """What a link shows to anyone who holds it (`uow` is system-scoped: the token is the credential)."""
    with uow:
        invitation = _by_token(uow, token)
        advertiser = uow.associations.organizations([invitation.advertiser_org_id])
    return invitation, advertiser.get(invitation.advertiser_org_id)


def use_invitation(cmd: InvitationUse, client: Client, *, uow: UnitOfWork,
                   actor: Actor) -> tuple[Association, Invitation]:
    """Redeem a token into a pending request; every attempt on a known invitation is logged.

    `uow` is system-scoped (the invitation belongs to another tenant). The use is counted by one
    conditional UPDATE in the same transaction as the association, so `max_uses` holds under
    concurrency; a refusal rolls back to a savepoint, logs the attempt, commits the log, then raises.
    """
    with uow:
        invitation = _by_token(uow, cmd.invitation_token)
        attempt = Attempt(invitation.invitation_id, invitation.advertiser_org_id, cmd.affiliate_org_id,
                          actor.user.user_id, client.ip_address, client.user_agent)
        try:
            with uow.invitations.attempt():
                association, used = _redeem(uow, invitation, cmd, actor)
        except _Refused as refused:
            uow.invitations.log_usage(attempt, association_id=None, error_message=refused.reason.message)
            uow.commit()
            raise refused.reason.error() from None
        uow.invitations.log_usage(attempt, association_id=association.association_id, error_message=None)
        record_association(uow, actor, "create", None, association)
        _record(uow, actor, "use", invitation, used)
        uow.commit()
    return association, used


def _redeem(uow: UnitOfWork, invitation: Invitation, cmd: InvitationUse,
            actor: Actor) -> tuple[Association, Invitation]:
    """Check, claim one use, then ask: a pending request with the invitation's campaign visibility."""
    _check_redeemable(uow, invitation, cmd, actor)
    used = uow.invitations.claim_use(invitation.invitation_id)
    if used is None:  # another redemption got there first: say why, as of now
        latest = uow.invitations.get(invitation.invitation_id, uow.scope)
        _refuse_if(refusal(latest, cmd.affiliate_org_id, now()) if latest else Refusal.NOT_ACTIVE)
        raise _Refused(Refusal.USED_UP)
    try:
        association = uow.associations.add(NewAssociation(
            invitation.advertiser_org_id, cmd.affiliate_org_id, AssociationType.REQUEST, actor.user.user_id,
            cmd.message, all_campaigns_visible=invitation.default_all_campaigns_visible,
            visible_campaign_ids=invitation.default_visible_campaign_ids))
    except Conflict:  # the unique index caught a concurrent application for the same pair
        raise _Refused(Refusal.ALREADY_ASSOCIATED) from None
    return association, used


def _check_redeemable(uow: UnitOfWork, invitation: Invitation, cmd: InvitationUse, actor: Actor) -> None:
    principal = actor.user
    if not principal.role.crosses_tenants and principal.organization_id != cmd.affiliate_org_id:
        raise _Refused(Refusal.NOT_A_MEMBER)
    _refuse_if(refusal(invitation, cmd.affiliate_org_id, now()))
    affiliate = uow.organizations.get(cmd.affiliate_org_id, uow.scope)
    if affiliate is None or affiliate.type is not OrganizationType.AFFILIATE:
        raise _Refused(Refusal.AFFILIATE_NOT_FOUND if affiliate is None else Refusal.NOT_AN_AFFILIATE)
    if uow.associations.live_between(invitation.advertiser_org_id, cmd.affiliate_org_id):
        raise _Refused(Refusal.ALREADY_ASSOCIATED)


def _check_campaigns(uow: UnitOfWork, advertiser_org_id: int, ids: list[int] | None) -> None:
    if ids:
        known = uow.associations.campaign_ids_of(advertiser_org_id, ids)
        check_known_ids("default_visible_campaign_ids", ids, known, "campaigns")


def _refuse_if(reason: Refusal | None) -> None:
    if reason is not None:
        raise _Refused(reason)


def _by_token(uow: UnitOfWork, token: str) -> Invitation:
    invitation = uow.invitations.by_token_hash(hash_token(token)) if is_well_formed(token) else None
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


def _visible(uow: UnitOfWork, invitation_id: int, *, for_update: bool = False) -> Invitation:
    invitation = uow.invitations.get(invitation_id, uow.scope, for_update=for_update)
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} was not found.")
    return invitation


def _not_an_advertiser(missing: bool) -> ValidationFailed:
    message = "organization not found" if missing else "must be an advertiser organization"
    return ValidationFailed(f"advertiser_org_id: {message}.", details=[{
        "field": "advertiser_org_id", "location": "body", "message": message, "type": "value_error"}])


def _record(uow: UnitOfWork, actor: Actor, action: str, before: Invitation | None, after: Invitation) -> None:
    changes = diff(invitation_fields(before) if before else {}, invitation_fields(after))
    uow.audit.record(actor, AuditEntry(f"invitation.{action}", "invitation", str(after.invitation_id),
                                       after.advertiser_org_id, changes))
    uow.outbox.add(DomainEvent(f"invitation.{EVENT_VERBS[action]}", "invitation", str(after.invitation_id),
                               after.advertiser_org_id, payload=invitation_fields(after)))
