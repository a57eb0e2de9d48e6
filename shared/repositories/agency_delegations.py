"""SQL for agency delegations."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.agency_delegations import (
    Delegation,
    DelegationFilter,
    DelegationStatus,
    NewDelegation,
    Permission,
)
from shared.domain.partnerships import Window
from shared.domain.principal import TenantScope

COLUMNS = ("delegation_id, agency_org_id, advertiser_org_id, status, permissions, delegated_by_user_id,"
           " accepted_by_user_id, message, expires_at, created_at, updated_at, accepted_at")
# A pending or active delegation past its expiry is expired, whether or not the job has flagged it yet.
EFFECTIVE_STATUS = ("(CASE WHEN status IN ('pending', 'active') AND expires_at <= now() THEN 'expired'"
                    " ELSE status END)")
DUE = "status IN ('pending', 'active') AND expires_at <= now()"


class AgencyDelegationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, new: NewDelegation) -> Delegation:
        row = self._session.fetch_one(
            "INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, delegated_by_user_id,"
            " message, expires_at) VALUES (:agency, :advertiser, CAST(:permissions AS TEXT[]), CAST(:by AS UUID),"
            f" :message, :expires_at) RETURNING {COLUMNS}",
            agency=new.agency_org_id, advertiser=new.advertiser_org_id, permissions=_permissions(new.permissions),
            by=_uuid(new.delegated_by_user_id), message=new.message, expires_at=new.expires_at,
        )
        assert row is not None
        return _delegation(row)

    def get(self, delegation_id: int, scope: TenantScope, *, for_update: bool = False) -> Delegation | None:
        clause, params = _where(scope, DelegationFilter(include_expired=True))
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM agency_delegations WHERE delegation_id = :id AND {clause}{lock}",
            id=delegation_id, **params)
        return _delegation(row) if row else None

    def live_between(self, agency_org_id: int, advertiser_org_id: int) -> Delegation | None:
        """The pair's pending, active or suspended delegation (at most one exists), as stored."""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM agency_delegations WHERE agency_org_id = :agency"
            " AND advertiser_org_id = :advertiser AND status IN ('pending', 'active', 'suspended')",
            agency=agency_org_id, advertiser=advertiser_org_id)
        return _delegation(row) if row else None

    def latest_between(self, agency_org_id: int, advertiser_org_id: int) -> Delegation | None:
        """The pair's live delegation, else its most recent one."""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM agency_delegations WHERE agency_org_id = :agency"
            " AND advertiser_org_id = :advertiser ORDER BY status IN ('pending', 'active', 'suspended') DESC,"
            " created_at DESC, delegation_id DESC LIMIT 1",
            agency=agency_org_id, advertiser=advertiser_org_id)
        return _delegation(row) if row else None

    def find(self, scope: TenantScope, where: DelegationFilter, window: Window) -> tuple[list[Delegation], int]:
        clause, params = _where(scope, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM agency_delegations WHERE {clause}"
            " ORDER BY created_at DESC, delegation_id DESC LIMIT :limit OFFSET :offset",
            limit=window.limit, offset=window.offset, **params)
        if rows or window.offset == 0:
            return [_delegation(r) for r in rows], int(rows[0]["total"]) if rows else 0
        total = self._session.fetch_value(f"SELECT count(*) FROM agency_delegations WHERE {clause}", **params)
        return [], int(total)

    def clients_granting(self, agency_org_id: int, permission: Permission) -> list[int]:
        """Advertiser organizations whose active, unexpired delegation gives the agency `permission`."""
        rows = self._session.fetch_all(
            "SELECT DISTINCT advertiser_org_id FROM agency_delegations WHERE agency_org_id = :agency"
            " AND status = 'active' AND (expires_at IS NULL OR expires_at > now())"
            " AND :permission = ANY(permissions) ORDER BY advertiser_org_id",
            agency=agency_org_id, permission=permission.value)
        return [int(r["advertiser_org_id"]) for r in rows]

    def update(self, delegation_id: int, changes: dict[str, Any]) -> Delegation:
        """Set status, permissions, expires_at or acceptance; `accepted_at` is stamped with acceptance."""
        values = {k: _db(k, v) for k, v in changes.items()}
        assignments = [f"{column} = {_placeholder(column)}" for column in values]
        if "accepted_by_user_id" in values:
            assignments.append("accepted_at = now()")
        row = self._session.fetch_one(
            f"UPDATE agency_delegations SET {', '.join(assignments)} WHERE delegation_id = :id RETURNING {COLUMNS}",
            id=delegation_id, **values)
        assert row is not None
        return _delegation(row)

    def expire_due(self, *, limit: int, agency_org_id: int | None = None,
                   advertiser_org_id: int | None = None) -> list[tuple[Delegation, Delegation]]:
        """Mark up to `limit` pending or active delegations past their expiry as expired (optionally of one pair);
        (before, after) of each.

        Concurrent runs skip each other's rows, and a row already expired no longer matches: each expires once.
        """
        pair = "" if agency_org_id is None else " AND agency_org_id = :agency AND advertiser_org_id = :advertiser"
        params = {} if agency_org_id is None else {"agency": agency_org_id, "advertiser": advertiser_org_id}
        rows = self._session.fetch_all(
            f"WITH due AS (SELECT delegation_id, status AS previous_status FROM agency_delegations WHERE {DUE}{pair}"
            " ORDER BY expires_at, delegation_id LIMIT :limit FOR UPDATE SKIP LOCKED)"
            " UPDATE agency_delegations d SET status = 'expired' FROM due WHERE d.delegation_id = due.delegation_id"
            f" RETURNING {_qualified('d')}, due.previous_status",
            limit=limit, **params)
        return [(_delegation({**r, "status": r["previous_status"]}), _delegation(r)) for r in rows]

def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in COLUMNS.split(","))


def _where(scope: TenantScope, where: DelegationFilter) -> tuple[str, dict[str, Any]]:
    clauses = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organization_ids is not None:
        clauses.append("(agency_org_id = ANY(CAST(:scope AS BIGINT[]))"
                       " OR advertiser_org_id = ANY(CAST(:scope AS BIGINT[])))")
        params["scope"] = sorted(scope.organization_ids)
    for column, value in (("agency_org_id", where.agency_org_id), ("advertiser_org_id", where.advertiser_org_id)):
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if where.status is not None:
        clauses.append(f"{EFFECTIVE_STATUS} = :status")
        params["status"] = where.status.value
    if not where.include_expired and where.status is not DelegationStatus.EXPIRED:
        clauses.append(f"{EFFECTIVE_STATUS} <> 'expired'")
    return " AND ".join(clauses), params


def _placeholder(column: str) -> str:
    if column == "permissions":
        return "CAST(:permissions AS TEXT[])"
    return f"CAST(:{column} AS UUID)" if column.endswith("_user_id") else f":{column}"


def _db(column: str, value: Any) -> Any:
    if column == "permissions":
        return _permissions(value)
    if isinstance(value, UUID):
        return str(value)
    return value.value if isinstance(value, DelegationStatus) else value


def _permissions(permissions: list[Permission]) -> list[str]:
    return [p.value for p in permissions]


def _uuid(value: UUID | None) -> str | None:
    return str(value) if value else None


def _delegation(row: Row) -> Delegation:
    def user(column: str) -> UUID | None:
        return UUID(str(row[column])) if row[column] else None
    return Delegation(
        delegation_id=row["delegation_id"], agency_org_id=row["agency_org_id"],
        advertiser_org_id=row["advertiser_org_id"], status=DelegationStatus(row["status"]),
        permissions=[Permission(p) for p in row["permissions"]],
        delegated_by_user_id=user("delegated_by_user_id"), accepted_by_user_id=user("accepted_by_user_id"),
        message=row["message"], expires_at=row["expires_at"], created_at=row["created_at"],
        updated_at=row["updated_at"], accepted_at=row["accepted_at"],
    )
