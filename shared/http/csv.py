"""CSV downloads for any route: RFC 4180 quoting, a formula-injection guard and an attachment filename."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import flask

MEDIA_TYPE = "text/csv"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection");
# tab and carriage return are on the list because some spreadsheets skip them before the formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK_ROWS = 1_000


def wants_csv(request: flask.Request, format_: str | None = None) -> bool:
    """`format=csv`, or an Accept header that prefers CSV over JSON."""
    if format_ is not None:
        return format_ == "csv"
    accept = request.accept_mimetypes
    return accept[MEDIA_TYPE] > accept["application/json"]


def cell(value: Any) -> Any:
    """The value as written to a cell: text that a spreadsheet would run as a formula gets a leading quote.

    Numbers are ours and stay numbers (a negative amount is not a formula); `None` is an empty cell;
    dates and times are ISO 8601.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):  # datetimes too: ISO 8601, with their offset
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text in chunks: the header, then the rows, every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([cell(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def filename(*parts: str) -> str:
    """A safe attachment name from its parts: `conversions-2024-05-01-2024-05-31.csv`."""
    stem = "-".join(UNSAFE_FILENAME.sub("_", part).strip("._-") for part in parts if part)
    return f"{stem or 'export'}.csv"


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], *, name: str,
                 headers: dict[str, str] | None = None) -> flask.Response:
    """A `text/csv; charset=utf-8` attachment named `name`, streamed in chunks."""
    chunks = (chunk.encode("utf-8") for chunk in render_rows(header, rows))
    response = flask.Response(chunks, mimetype=MEDIA_TYPE)
    response.headers["Content-Type"] = f"{MEDIA_TYPE}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers.update(headers or {})
    return response


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
