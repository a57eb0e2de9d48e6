"""The one error format of the API: `{"error": {"code", "message", "details"?}}`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.domain.errors import DomainError, ValidationFailed


class HttpError(DomainError):
    """An error that only makes sense at the HTTP edge (bad JSON, wrong content type, ...)."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.code = code
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def validation_failed(exc: ValidationError, *, location: str) -> ValidationFailed:
    """Turn pydantic's errors into field details a client can act on, without echoing input."""
    details = [
        {
            "field": ".".join(str(part) for part in err["loc"]) or location,
            "location": location,
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]
    return ValidationFailed("The request is not valid.", details=details)
