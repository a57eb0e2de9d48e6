"""CSV downloads: quoting, the formula-injection guard, the attachment headers and content negotiation."""

from __future__ import annotations

import csv
import datetime as dt
import io

import flask
import pytest
from werkzeug.test import EnvironBuilder

from shared.http.csv import CHUNK_ROWS, cell, csv_response, filename, render_rows, wants_csv


def request(headers: dict[str, str] | None = None) -> flask.Request:
    return flask.Request(EnvironBuilder(path="/reports", headers=headers or {}).get_environ())


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value", ["=SUM(A1:A9)", "+1+1", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_as_a_formula_gets_a_leading_quote(value: str) -> None:
    assert cell(value) == "'" + value


@pytest.mark.parametrize(("value", "written"), [
    ("Spring sale", "Spring sale"), ("a=b", "a=b"), (-12.5, -12.5), (0, 0), (None, ""), (True, "true"),
    (False, "false"), ("", ""), (dt.date(2024, 5, 1), "2024-05-01"),
    (dt.datetime(2024, 5, 1, 13, 5, tzinfo=dt.timezone(dt.timedelta(hours=-4))), "2024-05-01T13:05:00-04:00"),
])
def test_ordinary_text_numbers_and_blanks_are_written_as_they_are(value: object, written: object) -> None:
    assert cell(value) == written


def test_commas_quotes_and_line_breaks_are_quoted_and_read_back_unchanged() -> None:
    rows = [["Acme, Inc.", 'say "hi"', "two\nlines", 3]]
    text = "".join(render_rows(["name", "quote", "note", "n"], rows))
    assert text.startswith("name,quote,note,n\r\n")
    assert '"Acme, Inc.","say ""hi""","two\nlines",3\r\n' in text
    assert parsed(text) == [["name", "quote", "note", "n"], ["Acme, Inc.", 'say "hi"', "two\nlines", "3"]]


def test_an_injected_formula_reads_back_as_text_with_its_quote() -> None:
    text = "".join(render_rows(["sub1"], [["=HYPERLINK(\"http://evil\",\"x\")"]]))
    assert parsed(text)[1] == ["'=HYPERLINK(\"http://evil\",\"x\")"]


def test_large_exports_are_rendered_in_chunks_of_rows() -> None:
    chunks = list(render_rows(["n"], ([n] for n in range(CHUNK_ROWS * 2 + 5))))
    assert len(chunks) == 3
    assert len(parsed("".join(chunks))) == CHUNK_ROWS * 2 + 6


def test_only_a_header_is_written_for_no_rows() -> None:
    assert "".join(render_rows(["a", "b"], [])) == "a,b\r\n"


def test_the_response_is_a_utf8_csv_attachment_with_its_filename() -> None:
    response = csv_response(["name"], [["Café"]], name="clicks-2024-05-01.csv", headers={"X-Total-Count": "1"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="clicks-2024-05-01.csv"'
    assert response.headers["X-Total-Count"] == "1"
    assert response.get_data().decode("utf-8") == "name\r\nCafé\r\n"


def test_filenames_keep_only_safe_characters() -> None:
    assert filename("performance daily", "2024-05-01", "2024-05-31") == "performance_daily-2024-05-01-2024-05-31.csv"
    assert filename('"; rm -rf /', "x") == "rm_-rf-x.csv"
    assert filename("") == "export.csv"


@pytest.mark.parametrize(("format_", "accept", "expected"), [
    ("csv", None, True), ("json", "text/csv", False), (None, "text/csv", True),
    (None, "text/csv, application/json;q=0.5", True), (None, "application/json, text/csv;q=0.5", False),
    (None, "*/*", False), (None, None, False),
])
def test_csv_is_chosen_by_the_format_parameter_first_then_by_the_accept_header(
        format_: str | None, accept: str | None, expected: bool) -> None:
    assert wants_csv(request({"Accept": accept} if accept else None), format_) is expected
