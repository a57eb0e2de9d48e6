"""Reading a request: JSON bodies under a size limit, query parameters, paging."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

import flask
from pydantic import BaseModel, ValidationError

from shared.config import get_settings
from shared.domain.paging import PageRequest
from shared.http.errors import HttpError, validation_failed

M = TypeVar("M", bound=BaseModel)
NUL = "\x00"


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
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpError(400, "malformed_json", "The body is not valid JSON.") from exc
    refuse_nul(document, "body")
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
    values = request.args.to_dict(flat=True)
    refuse_nul(values, "query")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise validation_failed(exc, location="query") from exc


def refuse_nul(document: Any, location: str) -> None:
    """PostgreSQL stores no U+0000 in text or jsonb: refuse it anywhere with a 422 naming the field, not a 500."""
    field = _nul_field(document, "")
    if field is not None:
        raise HttpError(422, "validation_failed", "The request is not valid.", details=[
            {"field": field or location, "location": location,
             "message": "must not contain the NUL character (U+0000)", "type": "value_error"}])


def _nul_field(value: Any, path: str) -> str | None:
    """The dotted path of the first string or key holding a NUL ("" for the document itself), None if none does."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = ((str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        if NUL in key:
            return path  # the key itself is not echoed
        found = _nul_field(item, f"{path}.{key}" if path else key)
        if found is not None:
            return found
    return None


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
