"""SQL for advertiser association invitations and their usage log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any
from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.invitations import (
    Attempt,
    Invitation,
    InvitationFilter,
    InvitationStatus,
    NewInvitation,
    UsageRecord,
)
from shared.domain.partnerships import Window
from shared.domain.principal import TenantScope

COLUMNS = ("invitation_id, advertiser_org_id, name, description, allowed_affiliate_org_ids, max_uses, current_uses,"
           " expires_at, status, created_by_user_id, message, default_all_affiliates_visible,"
           " default_all_campaigns_visible, default_visible_affiliate_ids, default_visible_campaign_ids,"
           " created_at, updated_at")
USAGE_COLUMNS = ("usage_id, invitation_id, affiliate_org_id, used_by_user_id, association_id,"
                 " host(ip_address) AS ip_address, user_agent, success, error_message, used_at")
JSON_COLUMNS = frozenset({"allowed_affiliate_org_ids", "default_visible_affiliate_ids", "default_visible_campaign_ids"})
EDITABLE = frozenset({"name", "description", "allowed_affiliate_org_ids", "max_uses", "expires_at", "status", "message",
                      "default_all_campaigns_visible", "default_visible_campaign_ids"})
# An active invitation past its expiry is expired, whether or not a job has flagged it yet.
EFFECTIVE_STATUS = "(CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired' ELSE status END)"
USABLE = ("status = 'active' AND (expires_at IS NULL OR expires_at > now())"
          " AND (max_uses IS NULL OR current_uses < max_uses)")


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, new: NewInvitation, token_hash: bytes) -> Invitation:
        values = {**asdict(new), "token_hash": token_hash}
        row = self._session.fetch_one(
            f"INSERT INTO advertiser_association_invitations ({', '.join(values)})"
            f" VALUES ({', '.join(_placeholder(c) for c in values)}) RETURNING {COLUMNS}",
            **_db(values),
        )
        assert row is not None
        return _invitation(row)

    def get(self, invitation_id: int, scope: TenantScope, *, for_update: bool = False) -> Invitation | None:
        if scope.organization_ids is not None and not scope.organization_ids:
            return None
        clause, params = _where(scope, InvitationFilter(include_expired=True))
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM advertiser_association_invitations WHERE invitation_id = :id AND {clause}{lock}",
            id=invitation_id, **params,
        )
        return _invitation(row) if row else None

    def by_token_hash(self, token_hash: bytes) -> Invitation | None:
        """The invitation a token opens; across tenants, so only in a system-scoped transaction."""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM advertiser_association_invitations WHERE token_hash = :hash", hash=token_hash
        )
        return _invitation(row) if row else None

    def find(self, scope: TenantScope, where: InvitationFilter, window: Window) -> tuple[list[Invitation], int]:
        clause, params = _where(scope, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM advertiser_association_invitations WHERE {clause}"
            " ORDER BY created_at DESC, invitation_id DESC LIMIT :limit OFFSET :offset",
            limit=window.limit, offset=window.offset, **params,
        )
        if rows or window.offset == 0:
            return [_invitation(r) for r in rows], int(rows[0]["total"]) if rows else 0
        total = self._session.fetch_value(
            f"SELECT count(*) FROM advertiser_association_invitations WHERE {clause}", **params)
        return [], int(total)

    def update(self, invitation_id: int, changes: dict[str, Any]) -> Invitation:
        assert set(changes) <= EDITABLE
        assignments = ", ".join(f"{column} = {_placeholder(column)}" for column in changes)
        row = self._session.fetch_one(
            f"UPDATE advertiser_association_invitations SET {assignments} WHERE invitation_id = :id"
            f" RETURNING {COLUMNS}",
            id=invitation_id, **_db(changes),
        )
        assert row is not None
        return _invitation(row)

    def replace_token_hash(self, invitation_id: int, token_hash: bytes) -> Invitation:
        row = self._session.fetch_one(
            "UPDATE advertiser_association_invitations SET token_hash = :hash WHERE invitation_id = :id"
            f" RETURNING {COLUMNS}",
            id=invitation_id, hash=token_hash,
        )
        assert row is not None
        return _invitation(row)

    def claim_use(self, invitation_id: int) -> Invitation | None:
        """Count one use if the invitation is still usable, in one statement: concurrent claims queue on
        the row and re-check the condition, so `current_uses` never passes `max_uses`."""
        row = self._session.fetch_one(
            "UPDATE advertiser_association_invitations SET current_uses = current_uses + 1"
            f" WHERE invitation_id = :id AND {USABLE} RETURNING {COLUMNS}",
            id=invitation_id,
        )
        return _invitation(row) if row else None

    def log_usage(self, attempt: Attempt, *, association_id: int | None, error_message: str | None) -> None:
        self._session.execute(
            "INSERT INTO invitation_usage_log (invitation_id, advertiser_org_id, affiliate_org_id, used_by_user_id,"
            " association_id, ip_address, user_agent, success, error_message) VALUES (:invitation, :advertiser,"
            " :affiliate, CAST(:user AS UUID), :association, CAST(:ip AS INET), :agent, :success, :error)",
            invitation=attempt.invitation_id, advertiser=attempt.advertiser_org_id,
            affiliate=attempt.affiliate_org_id, user=str(attempt.used_by_user_id) if attempt.used_by_user_id else None,
            association=association_id, ip=attempt.ip_address, agent=attempt.user_agent,
            success=error_message is None, error=error_message,
        )

    def usage(self, invitation_id: int, window: Window) -> tuple[list[UsageRecord], int]:
        rows = self._session.fetch_all(
            f"SELECT {USAGE_COLUMNS}, count(*) OVER () AS total FROM invitation_usage_log"
            " WHERE invitation_id = :id ORDER BY used_at DESC, usage_id DESC LIMIT :limit OFFSET :offset",
            id=invitation_id, limit=window.limit, offset=window.offset,
        )
        if rows or window.offset == 0:
            return [_usage(r) for r in rows], int(rows[0]["total"]) if rows else 0
        total = self._session.fetch_value("SELECT count(*) FROM invitation_usage_log WHERE invitation_id = :id",
                                          id=invitation_id)
        return [], int(total)

    def expire_due(self, limit: int) -> list[Invitation]:
        """Mark up to `limit` active invitations past their expiry as expired (the expiry job; system scope).

        Concurrent runs skip each other's rows, and an expired row no longer matches: each expires once.
        """
        rows = self._session.fetch_all(
            "UPDATE advertiser_association_invitations SET status = 'expired' WHERE invitation_id IN"
            " (SELECT invitation_id FROM advertiser_association_invitations WHERE status = 'active'"
            " AND expires_at <= now() ORDER BY expires_at, invitation_id LIMIT :limit FOR UPDATE SKIP LOCKED)"
            f" RETURNING {COLUMNS}",
            limit=limit,
        )
        return [_invitation(r) for r in rows]

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A savepoint: a refused redemption undoes its own writes but keeps the transaction (and its log row)."""
        self._session.execute("SAVEPOINT redemption")
        try:
            yield
        except BaseException:
            self._session.execute("ROLLBACK TO SAVEPOINT redemption")
            raise
        self._session.execute("RELEASE SAVEPOINT redemption")


def _where(scope: TenantScope, where: InvitationFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organization_ids is not None:
        clauses.append("advertiser_org_id = ANY(CAST(:scope AS BIGINT[]))")
        params["scope"] = sorted(scope.organization_ids)
    if where.advertiser_org_id is not None:
        clauses.append("advertiser_org_id = :advertiser")
        params["advertiser"] = where.advertiser_org_id
    if where.status is not None:
        clauses.append(f"{EFFECTIVE_STATUS} = :status")
        params["status"] = where.status.value
    if where.created_by_user_id is not None:
        clauses.append("created_by_user_id = CAST(:creator AS UUID)")
        params["creator"] = str(where.created_by_user_id)
    if not where.include_expired and where.status is not InvitationStatus.EXPIRED:
        clauses.append(f"{EFFECTIVE_STATUS} <> 'expired'")
    return " AND ".join(clauses), params


def _placeholder(column: str) -> str:
    if column in JSON_COLUMNS:
        return f"CAST(:{column} AS JSONB)"
    return f"CAST(:{column} AS UUID)" if column.endswith("_user_id") else f":{column}"


def _db(values: dict[str, Any]) -> dict[str, Any]:
    def convert(column: str, value: Any) -> Any:
        if column in JSON_COLUMNS:
            return None if value is None else json.dumps(value)
        if isinstance(value, UUID):
            return str(value)
        return value.value if isinstance(value, InvitationStatus) else value
    return {column: convert(column, value) for column, value in values.items()}


def _invitation(row: Row) -> Invitation:
    values = {k: v for k, v in row.items() if k != "total"}
    values["status"] = InvitationStatus(row["status"])
    values["created_by_user_id"] = UUID(str(row["created_by_user_id"]))
    return Invitation(**values)


def _usage(row: Row) -> UsageRecord:
    values = {k: v for k, v in row.items() if k != "total"}
    if values["used_by_user_id"] is not None:
        values["used_by_user_id"] = UUID(str(values["used_by_user_id"]))
    return UsageRecord(**values)
