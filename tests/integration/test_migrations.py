from __future__ import annotations

import threading
from pathlib import Path

import pytest

from migrations import runner
from shared.db.pool import Pool
from shared.db.session import Session, transaction
from shared.db.url import ConnectionParams

CORE_TABLES = {"organizations", "roles", "profiles", "advertiser_extra_info", "affiliate_extra_info"}


@pytest.fixture
def empty_pool(databases, postgres_url) -> Pool:
    """A pool on a brand-new empty database (not the migrated template)."""
    import uuid

    from shared.db.url import parse_database_url

    name = f"empty_{uuid.uuid4().hex[:10]}"
    databases._admin(f'CREATE DATABASE "{name}"')
    params = parse_database_url(postgres_url).with_database(name)
    pool = Pool(params, size=2, statement_timeout_ms=10_000, connect_timeout_s=5)
    yield pool
    pool.close()
    databases.drop(params)


def tables(pool: Pool) -> set[str]:
    with transaction(pool) as session:
        rows = session.fetch_all("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {str(r["tablename"]) for r in rows}


def test_up_applies_every_file_once_and_status_reports_it(empty_pool: Pool) -> None:
    applied = runner.up(empty_pool)
    assert [m.version for m in applied] == [m.version for m in runner.discover()]
    assert CORE_TABLES | {"schema_migrations"} <= tables(empty_pool)
    assert runner.up(empty_pool) == []
    assert all(done for _, done in runner.status(empty_pool))


def test_the_six_roles_of_the_original_are_seeded(empty_pool: Pool) -> None:
    runner.up(empty_pool)
    with transaction(empty_pool) as session:
        roles = {r["role_id"]: r["name"] for r in session.fetch_all("SELECT role_id, name FROM roles")}
    assert roles == {1: "Admin", 2: "PlatformOwner", 1000: "AdvertiserManager", 1001: "AffiliateManager",
                     1002: "AgencyManager", 100000: "User"}


def test_a_failing_file_leaves_nothing_behind(empty_pool: Pool, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE first_table (id INT);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half_done (id INT); SELECT * FROM missing_table;")
    with pytest.raises(Exception, match="missing_table"):
        runner.up(empty_pool, tmp_path)
    assert "first_table" in tables(empty_pool)
    assert "half_done" not in tables(empty_pool)
    assert [done for _, done in runner.status(empty_pool, tmp_path)] == [True, False]


def test_an_edited_applied_migration_is_refused(empty_pool: Pool, tmp_path: Path) -> None:
    path = tmp_path / "0001_ok.sql"
    path.write_text("CREATE TABLE first_table (id INT);")
    runner.up(empty_pool, tmp_path)
    path.write_text("CREATE TABLE first_table (id BIGINT);")
    with pytest.raises(runner.MigrationError, match="edited"):
        runner.up(empty_pool, tmp_path)


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_init.sql").write_text("SELECT 1;")
    with pytest.raises(runner.MigrationError, match="0001_name"):
        runner.discover(tmp_path)


def test_two_runners_never_run_at_once(empty_pool: Pool) -> None:
    holder_ready, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with empty_pool.connection() as con:
            Session(con).fetch_value("SELECT pg_advisory_lock(:k)", k=runner.LOCK_KEY)
            holder_ready.set()
            release.wait(10)
            Session(con).fetch_value("SELECT pg_advisory_unlock(:k)", k=runner.LOCK_KEY)

    thread = threading.Thread(target=hold_lock)
    thread.start()
    holder_ready.wait(10)
    try:
        with pytest.raises(runner.MigrationError, match="refusing to run two at once"):
            runner.up(empty_pool)
        assert "organizations" not in tables(empty_pool)
    finally:
        release.set()
        thread.join()
    assert runner.up(empty_pool)


def test_the_cli_migrates_the_database_in_database_url(empty_pool: Pool, monkeypatch, capsys) -> None:
    from migrations.__main__ import main
    from shared.config import get_settings
    from shared.db.pool import reset_pool
    from shared.db.url import database_url

    params: ConnectionParams = empty_pool._params
    monkeypatch.setenv("DATABASE_URL", database_url(params))
    get_settings.cache_clear()
    reset_pool()
    try:
        assert main(["up"]) == 0
        assert main(["status"]) == 0
    finally:
        get_settings.cache_clear()
        reset_pool()
    out = capsys.readouterr().out
    assert "applied 0001_core.sql" in out
    assert "applied  0001_core.sql" in out
