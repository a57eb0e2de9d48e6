"""SQL for user profiles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from pg8000.exceptions import DatabaseError

from shared.db.session import Row, Session, sqlstate
from shared.domain.errors import Conflict
from shared.domain.principal import Principal
from shared.domain.profiles import Profile
from shared.domain.roles import Role

COLUMNS = "id, organization_id, role_id, email, first_name, last_name, created_at, updated_at"


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def principal(self, user_id: UUID) -> Principal | None:
        """The caller's role and organization, or None when the user has no profile."""
        row = self._session.fetch_one(
            "SELECT id, role_id, organization_id, email FROM profiles WHERE id = CAST(:id AS UUID)", id=str(user_id)
        )
        if row is None:
            return None
        return Principal(UUID(str(row["id"])), Role(row["role_id"]), row["organization_id"], row["email"])

    def get(self, user_id: UUID, *, for_update: bool = False) -> Profile | None:
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM profiles WHERE id = CAST(:id AS UUID){lock}",
                                      id=str(user_id))
        return _profile(row) if row else None

    def add(self, user_id: UUID, values: dict[str, Any]) -> Profile | None:
        """Insert a profile; None when one with this id already exists. A taken email raises `EmailTaken`."""
        columns = ["id", *values]
        placeholders = ["CAST(:id AS UUID)", *(f":{c}" for c in values)]
        with _email_unique():
            row = self._session.fetch_one(
                f"INSERT INTO profiles ({', '.join(columns)}) VALUES ({', '.join(placeholders)})"
                f" ON CONFLICT (id) DO NOTHING RETURNING {COLUMNS}",
                id=str(user_id), **_db(values),
            )
        return _profile(row) if row else None

    def update(self, user_id: UUID, changes: dict[str, Any]) -> Profile:
        assignments = ", ".join(f"{column} = :{column}" for column in changes)
        with _email_unique():
            row = self._session.fetch_one(
                f"UPDATE profiles SET {assignments} WHERE id = CAST(:id AS UUID) RETURNING {COLUMNS}",
                id=str(user_id), **_db(changes),
            )
        assert row is not None
        return _profile(row)

    def delete(self, user_id: UUID) -> None:
        self._session.execute("DELETE FROM profiles WHERE id = CAST(:id AS UUID)", id=str(user_id))


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("Another profile already uses this email.")


@contextmanager
def _email_unique() -> Iterator[None]:
    """Uniqueness spans tenants, so ask the unique index instead of reading other tenants' rows."""
    try:
        yield
    except DatabaseError as exc:
        if sqlstate(exc) == "23505" and "uq_profiles_email" in str(exc):
            raise EmailTaken() from exc
        raise


def _db(values: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if isinstance(v, Role) else v for k, v in values.items()}


def _profile(row: Row) -> Profile:
    return Profile(
        id=UUID(str(row["id"])), organization_id=row["organization_id"], role=Role(row["role_id"]),
        email=row["email"], first_name=row["first_name"], last_name=row["last_name"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )
