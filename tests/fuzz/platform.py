"""`make run` (functions.local) in a subprocess on a free port, over servers of our own in a temporary directory.

The Everflow sandbox is started here and handed to the platform through its settings, so `make run` does not
load or overwrite the developer's `.local/everflow-sandbox.json`; the Stripe sandbox is the platform's own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.servers import RATE_LIMITS, ROOT, free_port, get_status, stop_process_group
from functions.local.embedded import embedded_postgres, embedded_valkey, sandbox_settings
from shared.adapters.everflow.sandbox import start_sandbox

START_TIMEOUT_S = 600.0  # migrations and the demo seed (2,000 publisher records) come first


class PlatformFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class RunningPlatform:
    base_url: str
    database_url: str
    jwt_secret: str


@contextlib.contextmanager
def running_platform() -> Iterator[RunningPlatform]:
    """The platform as `make run` starts it, seeded, answering on loopback; everything stopped on exit."""
    with contextlib.ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="abp-fuzz-")))
        sandbox = start_sandbox()
        stack.callback(sandbox.stop)
        port, secret = free_port(), secrets.token_urlsafe(32)
        database_url = stack.enter_context(embedded_postgres(work_dir / "pgdata"))
        env = {
            **os.environ, **RATE_LIMITS, **sandbox_settings(sandbox),
            "PORT": str(port), "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
            "REDIS_URL": stack.enter_context(embedded_valkey(work_dir / "valkey")),
            "SUPABASE_JWT_SECRET": secret,
        }
        log_path = work_dir / "platform.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "functions.local"], cwd=ROOT, env=env,
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        stack.callback(stop_process_group, process)
        _wait_until_serving(process, port, log_path)
        yield RunningPlatform(f"http://127.0.0.1:{port}", database_url, secret)


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PlatformFailed(f"`make run` exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        if get_status(port, "/health") == 200:
            return
        time.sleep(0.5)
    raise PlatformFailed(f"`make run` did not answer /health within {START_TIMEOUT_S:.0f} s")
