"""Profile use cases: read yourself, create, upsert, update and remove profiles safely."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from shared.auth.authenticate import principals
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, Forbidden, NotFound
from shared.domain.principal import Actor
from shared.domain.profiles import (
    Membership,
    Profile,
    authorize_membership_change,
    authorize_profile_removal,
    check_role_fits,
)
from shared.domain.roles import Role
from shared.schemas.profiles import ProfileCreate, ProfileUpdate

NAME_FIELDS = frozenset({"first_name", "last_name"})


def get_me(*, uow: UnitOfWork, actor: Actor) -> Profile:
    assert actor.identity is not None
    with uow:
        profile = uow.profiles.get(actor.identity.user_id)
    if profile is None:
        raise NotFound("You have no profile yet.")
    return profile


def create_profile(cmd: ProfileCreate, *, uow: UnitOfWork, actor: Actor) -> Profile:
    """Create a profile: your own first one (role User, no organization), or one you may manage."""
    assert actor.identity is not None
    target = cmd.id or actor.identity.user_id
    proposed = Membership(cmd.role_id, cmd.organization_id)
    with uow:
        if uow.profiles.get(target) is not None:
            raise Conflict("This user already has a profile.")
        profile = _insert(uow, actor, target, proposed, cmd)
        uow.commit()
    return profile


def upsert_profile(cmd: ProfileCreate, *, uow: UnitOfWork, actor: Actor) -> Profile:
    """Create the profile if it does not exist, else apply the same rules as an update."""
    assert cmd.id is not None and actor.identity is not None
    with uow:
        current = uow.profiles.get(cmd.id, for_update=True)
        if current is None:
            profile = _insert(uow, actor, cmd.id, Membership(cmd.role_id, cmd.organization_id), cmd)
        else:
            profile = _change(uow, actor, current, cmd.model_dump(exclude={"id"}))
        uow.commit()
    return profile


def update_profile(user_id: UUID, cmd: ProfileUpdate, *, uow: UnitOfWork, actor: Actor) -> Profile:
    with uow:
        current = _visible(uow, user_id)
        profile = _change(uow, actor, current, cmd.model_dump(exclude_unset=True))
        uow.commit()
    return profile


def delete_profile(user_id: UUID, *, uow: UnitOfWork, actor: Actor) -> None:
    with uow:
        current = _visible(uow, user_id)
        authorize_profile_removal(actor.user, user_id, Membership(current.role, current.organization_id))
        uow.profiles.delete(user_id)
        principals.forget(user_id)
        uow.audit.record(actor, AuditEntry("profile.delete", "profile", str(user_id), current.organization_id,
                                           diff(_fields(current), {})))
        uow.commit()


def register_new_user(user_id: UUID, email: str, *, uow: UnitOfWork, actor: Actor) -> tuple[Profile, bool]:
    """The Supabase new-user webhook: a User profile without organization, once; repeats return it."""
    with uow:
        existing = uow.profiles.get(user_id)
        if existing is not None:
            if existing.email.lower() != email.lower():
                raise Conflict("This user id already has a profile with another email.")
            return existing, False
        profile = uow.profiles.add(user_id, {"email": email, "role_id": Role.USER})
        if profile is None:  # a concurrent delivery won the race
            profile = uow.profiles.get(user_id)
            assert profile is not None
            return profile, False
        uow.audit.record(actor, AuditEntry("profile.create", "profile", str(user_id), None,
                                           diff({}, _fields(profile))))
        uow.commit()
    return profile, True


def _insert(uow: UnitOfWork, actor: Actor, target: UUID, proposed: Membership, cmd: ProfileCreate) -> Profile:
    if actor.principal is None:
        _check_self_provisioning(actor, target, proposed, cmd.email)
    else:
        authorize_membership_change(actor.principal, target, None, proposed)
    _check_fits(uow, proposed)
    values = {"email": cmd.email, "role_id": proposed.role, "organization_id": proposed.organization_id,
              "first_name": cmd.first_name, "last_name": cmd.last_name}
    profile = uow.profiles.add(target, values)
    principals.forget(target)
    if profile is None:
        raise Conflict("This user already has a profile.")
    uow.audit.record(actor, AuditEntry("profile.create", "profile", str(target), proposed.organization_id,
                                       diff({}, _fields(profile))))
    return profile


def _change(uow: UnitOfWork, actor: Actor, current: Profile, requested: dict[str, Any]) -> Profile:
    principal = actor.user
    current_membership = Membership(current.role, current.organization_id)
    proposed = Membership(requested.get("role_id") or current.role,
                          requested.get("organization_id", current.organization_id))
    if current.id == principal.user_id and not set(_changed(current, requested)) <= NAME_FIELDS:
        raise Forbidden("You can change only your own first and last name.")
    authorize_membership_change(principal, current.id, current_membership, proposed)
    if proposed != current_membership:
        _check_fits(uow, proposed)
    changes = _changed(current, requested)
    if not changes:
        return current
    profile = uow.profiles.update(current.id, changes)
    principals.forget(current.id)
    uow.audit.record(actor, AuditEntry("profile.update", "profile", str(current.id), profile.organization_id,
                                       diff(_fields(current), _fields(profile))))
    return profile


def _check_self_provisioning(actor: Actor, target: UUID, proposed: Membership, email: str) -> None:
    """Without a profile you may create only your own, as a User without organization, with your email."""
    identity = actor.identity
    assert identity is not None
    if target != identity.user_id or proposed != Membership(Role.USER, None):
        raise Forbidden("Create your own profile first, with role User and no organization.")
    if identity.email and identity.email.lower() != email.lower():
        raise Forbidden("Use the email you signed in with.")


def _check_fits(uow: UnitOfWork, proposed: Membership) -> None:
    if proposed.organization_id is None:
        check_role_fits(proposed, None)
        return
    organization = uow.organizations.get(proposed.organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {proposed.organization_id} was not found.")
    check_role_fits(proposed, organization.type)


def _visible(uow: UnitOfWork, user_id: UUID) -> Profile:
    profile = uow.profiles.get(user_id, for_update=True)
    if profile is None or not (uow.scope.allows(profile.organization_id) or uow.scope.user_id == user_id):
        raise NotFound(f"Profile {user_id} was not found.")
    return profile


def _changed(current: Profile, requested: dict[str, Any]) -> dict[str, Any]:
    before = _fields(current)
    return {k: v for k, v in requested.items() if k in before and before[k] != v}


def _fields(profile: Profile) -> dict[str, Any]:
    values = asdict(profile)
    values["role_id"] = int(values.pop("role"))
    for key in ("id", "created_at", "updated_at"):
        values.pop(key)
    return values
