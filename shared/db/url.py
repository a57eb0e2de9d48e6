"""Turn a libpq-style PostgreSQL URL into pg8000 connection arguments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class ConnectionParams:
    user: str
    database: str
    password: str | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    unix_sock: str | None = None

    def with_database(self, database: str) -> ConnectionParams:
        return ConnectionParams(self.user, database, self.password, self.host, self.port, self.unix_sock)


def parse_database_url(url: str) -> ConnectionParams:
    """Parse `postgresql://user:pw@host:port/db`; `?host=/dir` selects a Unix socket as libpq does."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must start with postgresql://")
    query = parse_qs(parts.query)
    port = parts.port or int(query.get("port", ["5432"])[0])
    socket_dir = query.get("host", [""])[0]
    unix_sock = str(Path(socket_dir) / f".s.PGSQL.{port}") if socket_dir.startswith("/") else None
    return ConnectionParams(
        user=unquote(parts.username or "postgres"),
        database=unquote(parts.path.lstrip("/")) or "postgres",
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or "127.0.0.1",
        port=port,
        unix_sock=unix_sock,
    )


def database_url(params: ConnectionParams) -> str:
    """The inverse of `parse_database_url`, for handing a database to a child process."""
    auth = params.user + (f":{params.password}" if params.password else "")
    if params.unix_sock:
        return f"postgresql://{auth}@/{params.database}?host={Path(params.unix_sock).parent}&port={params.port}"
    return f"postgresql://{auth}@{params.host}:{params.port}/{params.database}"
