"""Real servers for the test run: TEST_DATABASE_URL / TEST_REDIS_URL when set, else embedded ones."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pg8000.native

from functions.local.embedded import embedded_postgres, embedded_valkey
from migrations import runner
from shared.db.pool import Pool
from shared.db.url import ConnectionParams, database_url, parse_database_url


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with embedded_postgres(Path(tempfile.mkdtemp(prefix="abp-test-pg-"))) as url:
        yield url


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    with embedded_valkey(Path(tempfile.mkdtemp(prefix="abp-test-valkey-"))) as url:
        yield url


class DatabaseFactory:
    """Copies of one migrated template database: every test gets a database of its own."""

    def __init__(self, server_url: str) -> None:
        self._server = parse_database_url(server_url)
        self._prefix = f"abp_{uuid.uuid4().hex[:8]}"
        self.template = f"{self._prefix}_template"
        self._admin(f'CREATE DATABASE "{self.template}"')
        pool = Pool(self._server.with_database(self.template), size=1, statement_timeout_ms=60_000,
                    connect_timeout_s=10)
        try:
            runner.up(pool)
        finally:
            pool.close()

    def create(self) -> ConnectionParams:
        name = f"{self._prefix}_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._server.with_database(name)

    def drop(self, params: ConnectionParams) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{params.database}" WITH (FORCE)')

    def url(self, params: ConnectionParams) -> str:
        return database_url(params)

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        p = self._server
        con = pg8000.native.Connection(p.user, host=p.host, port=p.port, database=p.database,
                                       password=p.password, unix_sock=p.unix_sock)
        try:
            con.run(sql)
        finally:
            con.close()
