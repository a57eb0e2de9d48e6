"""Request and response models of the profile routes (the original's JSON field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, StringConstraints

from shared.domain.profiles import Profile
from shared.domain.roles import Role
from shared.schemas.common import Email, PositiveId, ReadModel, StrictModel, plain_text

PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(plain_text)
]


class ProfileCreate(StrictModel):
    id: UUID | None = None
    organization_id: PositiveId | None = None
    role_id: Role
    email: Email
    first_name: PersonName | None = None
    last_name: PersonName | None = None


class ProfileUpsert(ProfileCreate):
    id: UUID


class ProfileUpdate(StrictModel):
    """Partial update: an omitted field keeps its value; `organization_id: null` leaves the organization."""

    organization_id: PositiveId | None = None
    role_id: Role | None = None
    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None


class ProfileRead(ReadModel):
    id: UUID
    organization_id: int | None
    role_id: int
    role_name: str
    email: str
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime


def profile_read(profile: Profile) -> ProfileRead:
    return ProfileRead(
        id=profile.id, organization_id=profile.organization_id, role_id=int(profile.role),
        role_name=profile.role.role_name, email=profile.email, first_name=profile.first_name,
        last_name=profile.last_name, created_at=profile.created_at, updated_at=profile.updated_at,
    )


class NewUserRecord(StrictModel):
    model_config = StrictModel.model_config | {"extra": "ignore"}

    id: UUID
    email: Email


class NewUserEvent(StrictModel):
    """A Supabase database webhook: INSERT on auth.users (other events are acknowledged and ignored)."""

    model_config = StrictModel.model_config | {"extra": "ignore"}

    type: str
    table: str
    record: NewUserRecord | None = None


class NewUserResult(ReadModel):
    message: str
    profile: ProfileRead | None = None
