"""A small thread-safe pool of pg8000 connections that replaces dropped ones."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from shared.config import get_settings
from shared.db.url import ConnectionParams, parse_database_url
from shared.domain.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# A connection idle longer than this is pinged before use: serverless instances sit idle for
# minutes and the network path (Cloud SQL connector, NAT) drops quiet sockets.
PING_AFTER_IDLE_S = 30.0


class DatabaseUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("The database is unavailable; try again shortly.")


class Pool:
    def __init__(
        self,
        params: ConnectionParams,
        *,
        size: int,
        statement_timeout_ms: int,
        connect_timeout_s: float,
        role: str | None = None,
    ) -> None:
        self._params = params
        self._startup = {"statement_timeout": str(statement_timeout_ms), "TimeZone": "UTC"}
        if role:
            self._startup["role"] = role
        self._connect_timeout_s = connect_timeout_s
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[tuple[pg8000.native.Connection, float]] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[pg8000.native.Connection]:
        """Lend a connection; a connection that fails at the network level is discarded."""
        if not self._slots.acquire(timeout=self._connect_timeout_s):
            raise DatabaseUnavailable()
        try:
            con = self._checkout()
            try:
                yield con
            except (InterfaceError, DatabaseUnavailable, GeneratorExit):  # GeneratorExit: abandoned, state unknown
                _close_quietly(con)
                raise
            except BaseException:
                self._checkin(con)
                raise
            else:
                self._checkin(con)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for con, _ in idle:
            _close_quietly(con)

    def _checkout(self) -> pg8000.native.Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                con, since = self._idle.pop()
            if time.monotonic() - since < PING_AFTER_IDLE_S or _alive(con):
                return con
            _close_quietly(con)
        return self._connect()

    def _checkin(self, con: pg8000.native.Connection) -> None:
        with self._lock:
            self._idle.append((con, time.monotonic()))

    def _connect(self) -> pg8000.native.Connection:
        p = self._params
        try:
            return pg8000.native.Connection(
                p.user,
                host=p.host,
                port=p.port,
                database=p.database,
                password=p.password,
                unix_sock=p.unix_sock,
                timeout=self._connect_timeout_s + self._startup_timeout_s(),
                application_name="affiliate-platform",
                startup_params=self._startup,
            )
        except (InterfaceError, DatabaseError, OSError) as exc:
            log.warning("database connection failed: %s", exc.__class__.__name__)
            raise DatabaseUnavailable() from exc

    def _startup_timeout_s(self) -> float:
        return int(self._startup["statement_timeout"]) / 1000


def _alive(con: pg8000.native.Connection) -> bool:
    try:
        con.run("SELECT 1")
    except (InterfaceError, DatabaseError, OSError):
        return False
    return True


def _close_quietly(con: pg8000.native.Connection) -> None:
    with contextlib.suppress(InterfaceError, DatabaseError, OSError):
        con.close()


@cache
def get_pool() -> Pool:
    """The process's pool, built on first use from the settings; its connections act as `db_role`."""
    settings = get_settings()
    if not settings.database_url:
        raise DatabaseUnavailable()
    return Pool(
        parse_database_url(settings.database_url),
        size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_s,
        role=settings.db_role or None,
    )


def owner_pool() -> Pool:
    """A one-connection pool as the login role itself, for migrations (DDL needs the tables' owner)."""
    settings = get_settings()
    return Pool(parse_database_url(settings.database_url), size=1, statement_timeout_ms=600_000,
                connect_timeout_s=settings.db_connect_timeout_s)


def reset_pool() -> None:
    """Close and forget the pool (tests, and the local runner after reconfiguring)."""
    if get_pool.cache_info().currsize:
        get_pool().close()
    get_pool.cache_clear()
