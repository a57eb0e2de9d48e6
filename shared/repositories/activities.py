"""SQL for the activity feed."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.activities import Activity, ActivityFilter, ActivitySource, NewActivity
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult

COLUMNS = ("activity_id, organization_id, activity_type, title, description, metadata, actor_user_id, source,"
           " event_id, aggregate_type, aggregate_id, occurred_at, created_at")
VALUES = ("SELECT :org, :type, :title, :description, CAST(:metadata AS JSONB), CAST(:actor AS UUID), :source,"
          " :event_id, :aggregate_type, :aggregate_id, COALESCE(CAST(:occurred AS TIMESTAMPTZ), now())")
INSERT = ("INSERT INTO activities (organization_id, activity_type, title, description, metadata, actor_user_id,"
          " source, event_id, aggregate_type, aggregate_id, occurred_at) ")


class ActivityRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, new: NewActivity) -> Activity:
        row = self._session.fetch_one(f"{INSERT}{VALUES} RETURNING {COLUMNS}", **_params(new))
        assert row is not None
        return _activity(row)

    def add_recorded(self, new: NewActivity) -> bool:
        """Record an event's activity once per organization (False: already there, or no such organization).

        ON CONFLICT makes a second delivery a no-op even when it races the first, or comes after a crash
        between this insert and the handler's claim of the message.
        """
        return self._session.execute(
            f"{INSERT}{VALUES} WHERE EXISTS (SELECT 1 FROM organizations WHERE organization_id = :org)"
            " ON CONFLICT (organization_id, event_id) DO NOTHING", **_params(new)) > 0

    def list(self, organization_id: int, where: ActivityFilter, page: PageRequest) -> PageResult[Activity]:
        """Newest first, in index order; the total is counted up to the cap."""
        clauses, params = _filters(organization_id, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM activities WHERE {clauses}"
            " ORDER BY occurred_at DESC, activity_id DESC LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params)
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM activities WHERE {clauses} LIMIT {TOTAL_CAP + 1}) AS capped",
            **params)
        return PageResult.counted([_activity(r) for r in rows], int(matched), page)


def _filters(organization_id: int, where: ActivityFilter) -> tuple[str, dict[str, Any]]:
    clauses, params = ["organization_id = :org"], dict[str, Any](org=organization_id)
    if where.types:
        clauses.append("activity_type = ANY(CAST(:activity_types AS TEXT[]))")
        params["activity_types"] = [t.value for t in where.types]
    return " AND ".join(clauses), params


def _params(new: NewActivity) -> dict[str, Any]:
    return {
        "org": new.organization_id, "type": new.activity_type.value, "title": new.title,
        "description": new.description, "metadata": json.dumps(new.metadata, default=str),
        "actor": str(new.actor_user_id) if new.actor_user_id else None, "source": new.source.value,
        "event_id": new.event_id, "aggregate_type": new.aggregate_type, "aggregate_id": new.aggregate_id,
        "occurred": new.occurred_at,
    }


def _activity(row: Row) -> Activity:
    metadata = row["metadata"]
    return Activity(
        activity_id=row["activity_id"], organization_id=row["organization_id"], activity_type=row["activity_type"],
        title=row["title"], description=row["description"],
        metadata=metadata if isinstance(metadata, dict) else json.loads(metadata),
        actor_user_id=UUID(str(row["actor_user_id"])) if row["actor_user_id"] else None,
        source=ActivitySource(row["source"]), event_id=row["event_id"], aggregate_type=row["aggregate_type"],
        aggregate_id=row["aggregate_id"], occurred_at=row["occurred_at"], created_at=row["created_at"],
    )
