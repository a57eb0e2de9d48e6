"""The one error format of the API: `{"error": {"code", "message", "details"?}}`."""

from __future__ import annotations

from typing import Any

import flask
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

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
        error["details"] = _field_errors(details)
    return {"error": error}


def _field_errors(details: Any) -> Any:
    """Each field error names its `type`, as the documented FieldError requires (a service's own rule: value_error)."""
    if not isinstance(details, list):
        return details
    return [{"type": "value_error", **detail} if isinstance(detail, dict) else detail for detail in details]


def json_fallback_errors(app: flask.Flask) -> None:
    """Answer in the API's JSON error format where Flask itself refuses a path before our router sees it.

    functions-framework routes `/<path:path>`, which no path containing a control character matches (`%0A`):
    Flask would answer with its HTML 404 page.
    """
    def not_found(exc: HTTPException) -> flask.Response:
        response = flask.jsonify(error_body("not_found", "No such route."))
        response.status_code = 404
        return response

    app.register_error_handler(404, not_found)


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
