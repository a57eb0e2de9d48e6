from __future__ import annotations

import pytest
from pg8000.exceptions import DatabaseError

from shared.db.pool import DatabaseUnavailable, Pool
from shared.db.session import transaction
from shared.db.uow import UnitOfWork
from shared.db.url import ConnectionParams
from shared.domain.principal import TenantScope


def backend_pid(pool: Pool) -> int:
    with transaction(pool) as session:
        return int(session.fetch_value("SELECT pg_backend_pid()"))


def terminated(database: ConnectionParams, pool: Pool) -> tuple[Pool, int]:
    """A one-connection pool whose idle connection the server has just terminated, and that backend's pid."""
    app_pool = Pool(database, size=1, statement_timeout_ms=5_000, connect_timeout_s=5)
    first = backend_pid(app_pool)
    with transaction(pool) as admin:
        admin.fetch_value("SELECT pg_terminate_backend(:pid)", pid=first)
    return app_pool, first


def test_a_dropped_connection_is_replaced_without_the_caller_noticing_twice(database: ConnectionParams,
                                                                            pool: Pool) -> None:
    app_pool, first = terminated(database, pool)
    with pytest.raises(DatabaseUnavailable):
        backend_pid(app_pool)  # the request that hits the dead socket fails fast (503)...
    assert backend_pid(app_pool) != first  # ...and the next one gets a fresh connection
    app_pool.close()


def test_every_connection_carries_the_statement_timeout(database: ConnectionParams) -> None:
    app_pool = Pool(database, size=1, statement_timeout_ms=200, connect_timeout_s=5)
    with pytest.raises(DatabaseError) as error, transaction(app_pool) as session:
        session.fetch_value("SELECT pg_sleep(2)")
    assert error.value.args[0]["C"] == "57014"  # query_canceled
    assert backend_pid(app_pool) > 0  # the connection is still usable afterwards
    app_pool.close()


def test_an_unreachable_server_is_database_unavailable() -> None:
    dead = Pool(ConnectionParams(user="x", database="x", host="127.0.0.1", port=1), size=1,
                statement_timeout_ms=1_000, connect_timeout_s=0.5)
    with pytest.raises(DatabaseUnavailable):
        backend_pid(dead)


def test_a_rolled_back_transaction_leaves_nothing(pool: Pool, sql) -> None:
    with pytest.raises(RuntimeError), transaction(pool) as session:
        session.execute("INSERT INTO organizations (name, type) VALUES ('Ghost', 'agency')")
        raise RuntimeError("abort")
    assert sql("SELECT count(*) AS n FROM organizations WHERE name = 'Ghost'") == [{"n": 0}]


def test_a_unit_of_work_that_finds_its_connection_dead_lets_the_pool_replace_it(database: ConnectionParams,
                                                                                pool: Pool) -> None:
    """Regression (make chaos, postgres-restart): a failed BEGIN used to return the dead socket to the pool."""
    app_pool, first = terminated(database, pool)
    with pytest.raises(DatabaseUnavailable), UnitOfWork(TenantScope.everything(), app_pool):
        pass
    with UnitOfWork(TenantScope.everything(), app_pool) as uow:  # a fresh connection, not the dead one again
        assert uow.session.fetch_value("SELECT pg_backend_pid()") != first
    app_pool.close()


def test_a_connection_whose_borrower_never_gave_it_back_is_not_lent_again(database: ConnectionParams) -> None:
    """A lender abandoned mid-use (closed by the garbage collector) may hold a dead or half-used connection."""
    app_pool = Pool(database, size=1, statement_timeout_ms=5_000, connect_timeout_s=5)
    lender = app_pool.connection()
    first = int(lender.__enter__().run("SELECT pg_backend_pid()")[0][0])
    lender.gen.close()  # what collecting a suspended, never exited lender does
    assert backend_pid(app_pool) != first
    app_pool.close()
