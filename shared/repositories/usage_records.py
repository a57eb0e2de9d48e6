"""SQL for daily usage records."""

from __future__ import annotations

from shared.db.session import Session


class UsageRecordRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
