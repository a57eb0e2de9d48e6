"""A transaction on one connection, and the unit of work that owns it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from shared.db.pool import DatabaseUnavailable, Pool, get_pool

Row = dict[str, Any]


class Session:
    """Runs SQL with named parameters inside the caller's transaction; rows come back as dicts."""

    def __init__(self, con: pg8000.native.Connection) -> None:
        self._con = con

    def fetch_all(self, sql: str, **params: Any) -> list[Row]:
        rows = self._run(sql, params) or []  # None for statements that return no rows
        names = [c["name"] for c in self._con.columns or ()]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def fetch_one(self, sql: str, **params: Any) -> Row | None:
        rows = self.fetch_all(sql, **params)
        return rows[0] if rows else None

    def fetch_value(self, sql: str, **params: Any) -> Any:
        rows = self._run(sql, params)
        return rows[0][0] if rows else None

    def execute(self, sql: str, **params: Any) -> int:
        """Run a statement and return the number of rows it touched."""
        self._run(sql, params)
        return int(self._con.row_count)

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def _run(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        try:
            return self._con.run(sql, **params)  # type: ignore[no-any-return]
        except (InterfaceError, OSError) as exc:  # pg8000 lets some socket errors through unwrapped
            raise DatabaseUnavailable() from exc
        except DatabaseError as exc:
            if _sqlstate(exc).startswith(("08", "57P")):  # connection exception, admin shutdown
                raise DatabaseUnavailable() from exc
            raise


def _sqlstate(exc: DatabaseError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return str(info.get("C", ""))


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error ('' for anything else)."""
    return _sqlstate(exc) if isinstance(exc, DatabaseError) else ""


@contextmanager
def transaction(pool: Pool | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    with (pool or get_pool()).connection() as con:
        session = Session(con)
        session.execute("START TRANSACTION")
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.execute("COMMIT")
