"""The Everflow sandbox: our own contract-faithful Everflow Network API on a loopback port.

Integration tests and the local runner's "mock service mode" start it in a background thread and
point the production client at `api_base_url` with `api_key`:

    sandbox = start_sandbox()
    ...  # EVERFLOW_BASE_URL=sandbox.api_base_url, EVERFLOW_API_KEY=sandbox.api_key
    sandbox.faults.set(throttle_after=3, throttle_times=5)
    sandbox.stop()

Tests in other processes reach the same switches over HTTP under `/__sandbox` (see sandbox_admin).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from shared.adapters.everflow.sandbox_app import SandboxApp
from shared.adapters.everflow.sandbox_faults import Faults, FaultSettings
from shared.adapters.everflow.sandbox_fields import Json
from shared.adapters.everflow.sandbox_state import DEFAULT_API_KEY, Kind, SandboxConfig, SandboxState

POLL_S = 0.05  # how soon stop() takes effect; serve_forever's default (0.5 s) makes every test wait

__all__ = ["DEFAULT_API_KEY", "FaultSettings", "SandboxConfig", "SandboxServer", "start_sandbox"]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: callers make thousands of calls, and `calls()` counts them."""


class SandboxServer:
    """A running sandbox: its address, its state, its fault switchboard."""

    def __init__(self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.state = SandboxState(self.config.clock, self.config.network_id)
        self.faults = Faults(self.config.clock, self.config.nominal_rate_limit)
        self.app = SandboxApp(self.config, self.state, self.faults)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True,
                                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_S},
                                        name="everflow-sandbox", daemon=True)

    @property
    def base_url(self) -> str:
        """The server's root, e.g. `http://127.0.0.1:51234` (admin API under `/__sandbox`)."""
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def api_base_url(self) -> str:
        """What replaces `https://api.eflow.team/v1` in the client's settings."""
        return f"{self.base_url}/v1"

    @property
    def api_key(self) -> str:
        """A key the sandbox accepts."""
        keys = self.config.api_keys
        return min(keys) if keys else DEFAULT_API_KEY

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Answer held calls, stop serving and close the socket."""
        self.faults.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def calls(self) -> Json:
        """Calls per endpoint (`"PUT /v1/networks/offers/{id}"`) and answers per status."""
        return self.state.calls()

    def objects(self, kind: Kind | str) -> list[Json]:
        """Every stored object of a kind ("advertisers", "affiliates", "offers"), by id."""
        return self.state.records(Kind(kind))

    def save(self, path: Path) -> None:
        """Write the stored objects to `path`, for `load` in a later run."""
        path.write_text(json.dumps(self.state.snapshot()))

    def load(self, path: Path) -> None:
        """Continue from the objects a previous run saved to `path` (nothing happens when it is absent)."""
        if path.exists():
            self.state.restore(json.loads(path.read_text()))

    def reset(self) -> None:
        """Forget every object, counter and fault."""
        self.faults.reset()
        self.state.reset()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def start_sandbox(config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start a sandbox in a background thread, on a free port unless `port` is given."""
    return SandboxServer(config, host=host, port=port).start()
