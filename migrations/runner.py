"""Apply numbered SQL files in order, each in its own transaction, one runner at a time."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from shared.db.pool import Pool
from shared.db.session import Session, transaction

SQL_DIR = Path(__file__).parent / "sql"
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any constant works; it only has to be the same for every runner of this schema.
LOCK_KEY = 7_310_021


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
        migrations.append(Migration(int(match.group(1)), path.stem, path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


def status(pool: Pool, sql_dir: Path = SQL_DIR) -> list[tuple[Migration, bool]]:
    """Every known migration with whether it has been applied."""
    with transaction(pool) as session:
        applied = _applied(session)
    return [(m, m.version in applied) for m in discover(sql_dir)]


def up(pool: Pool, sql_dir: Path = SQL_DIR) -> list[Migration]:
    """Apply the pending migrations and return them; refuses to run beside another runner."""
    with pool.connection() as con:
        lock = Session(con)
        if not lock.fetch_value("SELECT pg_try_advisory_lock(:key)", key=LOCK_KEY):
            raise MigrationError("another migration run holds the lock; refusing to run two at once")
        try:
            return _apply_pending(lock, discover(sql_dir))
        finally:
            lock.fetch_value("SELECT pg_advisory_unlock(:key)", key=LOCK_KEY)


def _apply_pending(session: Session, migrations: list[Migration]) -> list[Migration]:
    session.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    applied = _applied(session)
    _check_unchanged(migrations, applied)
    pending = [m for m in migrations if m.version not in applied]
    for migration in pending:
        session.execute("START TRANSACTION")
        try:
            session.execute(migration.path.read_text())
            session.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (:v, :n, :c)",
                v=migration.version, n=migration.name, c=migration.checksum,
            )
        except BaseException:
            session.rollback()
            raise
        session.execute("COMMIT")
    return pending


def _applied(session: Session) -> dict[int, str]:
    if not session.fetch_value("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        return {}
    rows = session.fetch_all("SELECT version, checksum FROM schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


def _check_unchanged(migrations: list[Migration], applied: dict[int, str]) -> None:
    changed = [m.path.name for m in migrations if applied.get(m.version, m.checksum) != m.checksum]
    if changed:
        raise MigrationError(f"applied migrations were edited (forward-only): {', '.join(changed)}")
