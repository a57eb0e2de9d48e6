"""SQL for user profiles."""

from __future__ import annotations

from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.principal import Principal
from shared.domain.roles import Role


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def principal(self, user_id: UUID) -> Principal | None:
        """The caller's role and organization, or None when the user has no profile."""
        row = self._session.fetch_one(
            "SELECT id, role_id, organization_id, email FROM profiles WHERE id = :id", id=str(user_id)
        )
        return _principal(row) if row else None

    def upsert(self, user_id: UUID, email: str, role: Role, organization_id: int | None, *,
               first_name: str | None = None, last_name: str | None = None) -> None:
        self._session.execute(
            "INSERT INTO profiles (id, email, role_id, organization_id, first_name, last_name)"
            " VALUES (CAST(:id AS UUID), :email, :role, :org, :first, :last)"
            " ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, role_id = EXCLUDED.role_id,"
            " organization_id = EXCLUDED.organization_id, first_name = EXCLUDED.first_name,"
            " last_name = EXCLUDED.last_name",
            id=str(user_id), email=email, role=int(role), org=organization_id, first=first_name, last=last_name,
        )


def _principal(row: Row) -> Principal:
    return Principal(
        user_id=UUID(str(row["id"])),
        role=Role(row["role_id"]),
        organization_id=row["organization_id"],
        email=row["email"],
    )
