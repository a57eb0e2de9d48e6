"""Field checks for the Everflow sandbox: required fields, types and enums, failing the way Everflow does (400)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

Json = dict[str, Any]
MISSING = object()


class SandboxError(Exception):
    """An answer other than 200, rendered in Everflow's error shape `{"Error": message}`."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> SandboxError:
    return SandboxError(400, message)


def not_found(what: str) -> SandboxError:
    return SandboxError(404, f"{what} not found")


def _value(body: Mapping[str, Any], name: str, required: bool, where: str) -> Any:
    value = body.get(name, MISSING)
    if value is None or value is MISSING or value == "":
        if required:
            raise bad_request(f"{where}{name} is required")
        return MISSING
    return value


def text(body: Mapping[str, Any], name: str, *, required: bool = False, default: str = "",
         max_length: int | None = None, where: str = "") -> str:
    value = _value(body, name, required, where)
    if value is MISSING:
        return default
    if not isinstance(value, str):
        raise bad_request(f"{where}{name} must be a string")
    if max_length is not None and len(value) > max_length:
        raise bad_request(f"{where}{name} must be at most {max_length} characters")
    return value


def integer(body: Mapping[str, Any], name: str, *, required: bool = False, default: int = 0,
            minimum: int = 0, where: str = "") -> int:
    value = _value(body, name, required, where)
    if value is MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{where}{name} must be an integer")
    if value < minimum:
        raise bad_request(f"{where}{name} must be at least {minimum}")
    return value


def number(body: Mapping[str, Any], name: str, *, default: float = 0, maximum: float | None = None,
           where: str = "") -> float:
    value = _value(body, name, False, where)
    if value is MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{where}{name} must be a number")
    if value < 0 or (maximum is not None and value > maximum):
        raise bad_request(f"{where}{name} is out of range")
    return value


def boolean(body: Mapping[str, Any], name: str, *, required: bool = False, default: bool = False,
            where: str = "") -> bool:
    value = body.get(name, MISSING)
    if value is None or value is MISSING:
        if required:
            raise bad_request(f"{where}{name} is required")
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{where}{name} must be a boolean")
    return value


def choice(body: Mapping[str, Any], name: str, allowed: Collection[str], *, required: bool = False,
           default: str = "", where: str = "") -> str:
    value = text(body, name, required=required, default=default, where=where)
    if value != default and value not in allowed:
        raise bad_request(f"{where}{name} must be one of: {', '.join(sorted(allowed))}")
    return value


def objects(body: Mapping[str, Any], name: str, *, where: str = "") -> list[Json]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise bad_request(f"{where}{name} must be an array of objects")
    return value


def strings(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"{name} must be an array of strings")
    return value


def mapping(body: Mapping[str, Any], name: str, *, where: str = "") -> Json | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"{where}{name} must be an object")
    return value


def ints(value: Any, name: str) -> list[int]:
    """A list of ids as Everflow's filters send them: ints, or a single int."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        raise bad_request(f"{name} must be an array of integers")
    return items
