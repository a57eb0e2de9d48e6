"""Reading a request: JSON bodies under a size limit, query parameters, paging."""

from __future__ import annotations

import json
from typing import TypeVar

import flask
from pydantic import BaseModel, ValidationError

from shared.config import get_settings
from shared.domain.paging import PageRequest
from shared.http.errors import HttpError, validation_failed

M = TypeVar("M", bound=BaseModel)


def read_json(request: flask.Request) -> bytes:
    """The raw JSON body: 413 past the size limit, 415 for another content type, 400 if malformed."""
    limit = get_settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    if request.mimetype != "application/json":
        raise HttpError(415, "unsupported_media_type", "The body must be JSON (Content-Type: application/json).")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    try:
        json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpError(400, "malformed_json", "The body is not valid JSON.") from exc
    return raw


def parse_body(request: flask.Request, model: type[M]) -> M:
    return parse_json(read_json(request), model)


def parse_json(raw: bytes, model: type[M]) -> M:
    """Validate from the JSON text itself, so strict models still accept enum and date strings."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_failed(exc, location="body") from exc


def parse_query(request: flask.Request, model: type[M]) -> M:
    """Validate query parameters; a repeated parameter keeps its first value."""
    try:
        return model.model_validate(request.args.to_dict(flat=True))
    except ValidationError as exc:
        raise validation_failed(exc, location="query") from exc


def page_request(request: flask.Request, *, default_size: int = 10) -> PageRequest:
    """`page` with `pageSize` or `page_size`, as the original API accepted; the size is capped."""
    page = _positive_int(request, "page", 1)
    size_name = "pageSize" if "pageSize" in request.args else "page_size"
    size = _positive_int(request, size_name, default_size)
    return PageRequest(page=page, page_size=min(size, get_settings().max_page_size))


def _positive_int(request: flask.Request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise HttpError(
            422, "validation_failed", "The request is not valid.",
            details=[{"field": name, "location": "query", "message": "must be a positive integer",
                      "type": "int_parsing"}],
        )
    return int(raw)


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "payload_too_large", f"The body exceeds the limit of {limit} bytes.")
