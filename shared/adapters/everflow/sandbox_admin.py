"""The sandbox's admin API under `/__sandbox`, for tests and tools in other processes (no key, never faulted).

GET    /__sandbox/health              {"status": "ok"}
GET    /__sandbox/faults              {"faults": {settings}, "counters": {calls, throttled, errors, hangs}}
POST   /__sandbox/faults              replace every fault setting (omitted ones reset); answers as GET
DELETE /__sandbox/faults              no faults, no rate limit; held calls are answered now
GET    /__sandbox/calls               {"total", "by_endpoint": {"POST /v1/networks/advertisers": n}, "by_status"}
GET    /__sandbox/objects[/<kind>]    the stored objects, by kind
GET    /__sandbox/config              {"error_key", "strict", "api_keys", "network_id", "tracking_domains"}
POST   /__sandbox/config              change `error_key` ("Error" | "error"), `strict`, `api_keys` (list | null)
POST   /__sandbox/reset               {"data", "counters", "faults"}: each true unless sent false
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared.adapters.everflow.sandbox_faults import Faults, FaultSettings
from shared.adapters.everflow.sandbox_fields import Json, SandboxError, bad_request
from shared.adapters.everflow.sandbox_state import Kind, SandboxConfig, SandboxState

Action = Callable[[Json, "Admin"], Any]


class Admin:
    """The sandbox parts the admin API reaches."""

    def __init__(self, config: SandboxConfig, state: SandboxState, faults: Faults) -> None:
        self.config = config
        self.state = state
        self.faults = faults

    def faults_view(self) -> Json:
        return {"faults": self.faults.settings.as_json(), "counters": self.faults.counters()}


def _set_faults(body: Json, admin: Admin) -> Json:
    admin.faults.set(FaultSettings.from_json(body))
    return admin.faults_view()


def _clear_faults(_: Json, admin: Admin) -> Json:
    admin.faults.reset()
    return admin.faults_view()


def _configure(body: Json, admin: Admin) -> Json:
    unknown = sorted(set(body) - {"error_key", "strict", "api_keys"})
    if unknown:
        raise bad_request(f"unknown settings: {', '.join(unknown)}")
    strict = body.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise bad_request("strict must be a boolean")
    admin.config.configure(error_key=body.get("error_key"), strict=strict)
    if "api_keys" in body:
        keys = body["api_keys"]
        if keys is not None and not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
            raise bad_request("api_keys must be a list of strings or null")
        admin.config.accept_keys(keys)
    return admin.config.as_json()


def _reset(body: Json, admin: Admin) -> Json:
    if body.get("faults", True):
        admin.faults.reset()
    admin.state.reset(data=bool(body.get("data", True)), counters=bool(body.get("counters", True)))
    return {"reset": True}


ACTIONS: dict[str, Action] = {
    "health": lambda _, admin: {"status": "ok"},
    "faults": lambda _, admin: admin.faults_view(),
    "set_faults": _set_faults,
    "clear_faults": _clear_faults,
    "calls": lambda _, admin: admin.state.calls(),
    "objects": lambda _, admin: admin.state.objects(),
    "config": lambda _, admin: admin.config.as_json(),
    "configure": _configure,
    "reset": _reset,
}
ROUTES = Map([
    Rule("/__sandbox/health", methods=["GET"], endpoint="health"),
    Rule("/__sandbox/faults", methods=["GET"], endpoint="faults"),
    Rule("/__sandbox/faults", methods=["POST", "PUT"], endpoint="set_faults"),
    Rule("/__sandbox/faults", methods=["DELETE"], endpoint="clear_faults"),
    Rule("/__sandbox/calls", methods=["GET"], endpoint="calls"),
    Rule("/__sandbox/objects", methods=["GET"], endpoint="objects"),
    Rule("/__sandbox/objects/<any(advertisers, affiliates, offers):kind>", methods=["GET"], endpoint="kind"),
    Rule("/__sandbox/config", methods=["GET"], endpoint="config"),
    Rule("/__sandbox/config", methods=["POST"], endpoint="configure"),
    Rule("/__sandbox/reset", methods=["POST"], endpoint="reset"),
])


def admin(request: Request, *, config: SandboxConfig, state: SandboxState, faults: Faults) -> Response:
    """Answer one admin call; errors come back as `{"error": message}`."""
    try:
        endpoint, values = ROUTES.bind_to_environ(request.environ).match()
    except HTTPException as error:
        return json_response({"error": error.name}, error.code or 404)
    try:
        body = json_body(request)
        target = Admin(config, state, faults)
        if endpoint == "kind":
            kind = Kind(values["kind"])
            return json_response({kind.value: state.records(kind)})
        return json_response(ACTIONS[endpoint](body, target))
    except SandboxError as error:
        return json_response({"error": error.message}, error.status)


def json_body(request: Request) -> Json:
    """The request's JSON object; an empty body reads as {}."""
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("Invalid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")
