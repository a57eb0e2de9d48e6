"""SQL for the append-only audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.audit import AuditEntry, AuditRecord
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor, TenantScope

COLUMNS = ("audit_id, occurred_at, actor_id, actor_role_id, organization_id, on_behalf_of_organization_id,"
           " acting_organization_id, delegation_id, action, entity_type, entity_id, changes, request_id,"
           " host(client_ip) AS client_ip")


@dataclass(frozen=True)
class AuditFilter:
    organization_id: int | None = None
    actor_id: UUID | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, actor: Actor, entry: AuditEntry) -> None:
        """Append an entry; a write made on behalf of an advertiser names the agency, its role and the delegation."""
        principal = actor.principal.real if actor.principal else None
        behalf = actor.principal.on_behalf if actor.principal else None
        self._session.execute(
            "INSERT INTO audit_log (actor_id, actor_role_id, organization_id, on_behalf_of_organization_id,"
            " acting_organization_id, delegation_id, action, entity_type, entity_id, changes, request_id, client_ip)"
            " VALUES (CAST(:actor AS UUID), :role, :org, :behalf_of, :acting, :delegation, :action, :etype, :eid,"
            " CAST(:changes AS JSONB), :request_id, CAST(:ip AS INET))",
            actor=str(principal.user_id) if principal else None,
            role=int(principal.role) if principal else None,
            org=entry.organization_id, behalf_of=behalf.advertiser_organization_id if behalf else None,
            acting=behalf.agency_organization_id if behalf else None,
            delegation=behalf.delegation_id if behalf else None,
            action=entry.action, etype=entry.entity_type, eid=entry.entity_id,
            changes=json.dumps(entry.changes, default=str), request_id=actor.request_id, ip=actor.client_ip,
        )

    def list(self, scope: TenantScope, page: PageRequest, where: AuditFilter) -> PageResult[AuditRecord]:
        clauses, params = _filters(scope, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM audit_log WHERE {clauses}"
            " ORDER BY audit_id DESC LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        total = int(rows[0]["total"]) if rows else int(
            self._session.fetch_value(f"SELECT count(*) FROM audit_log WHERE {clauses}", **params))
        return PageResult([_record(r) for r in rows], total, page)


def _filters(scope: TenantScope, where: AuditFilter) -> tuple[str, dict[str, Any]]:
    clauses = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organization_ids is not None:
        # an agency also reads what its users did for its clients
        clauses.append("(organization_id = ANY(CAST(:scope AS BIGINT[]))"
                       " OR acting_organization_id = ANY(CAST(:scope AS BIGINT[])))")
        params["scope"] = sorted(scope.organization_ids)
    conditions = (
        ("organization_id = :organization_id", "organization_id", where.organization_id),
        ("actor_id = CAST(:actor_id AS UUID)", "actor_id", str(where.actor_id) if where.actor_id else None),
        ("action = :action", "action", where.action),
        ("entity_type = :entity_type", "entity_type", where.entity_type),
        ("entity_id = :entity_id", "entity_id", where.entity_id),
        ("occurred_at >= :since", "since", where.since),
        ("occurred_at < :until", "until", where.until),
    )
    for clause, name, value in conditions:
        if value is not None:
            clauses.append(clause)
            params[name] = value
    return " AND ".join(clauses), params


def _record(row: Row) -> AuditRecord:
    changes = row["changes"]
    return AuditRecord(
        audit_id=row["audit_id"], occurred_at=row["occurred_at"],
        actor_id=UUID(str(row["actor_id"])) if row["actor_id"] else None,
        actor_role_id=row["actor_role_id"], organization_id=row["organization_id"],
        on_behalf_of_organization_id=row["on_behalf_of_organization_id"],
        acting_organization_id=row["acting_organization_id"], delegation_id=row["delegation_id"], action=row["action"],
        entity_type=row["entity_type"], entity_id=row["entity_id"],
        changes=changes if isinstance(changes, dict) else json.loads(changes),
        request_id=row["request_id"], client_ip=row["client_ip"],
    )
