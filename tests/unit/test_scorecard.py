"""The scorecard of benchmarks/RESULTS.md is read from the sections, never typed: it cannot drift from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks import scorecard
from benchmarks.results import RESULTS, update_section


def scorecard_body(text: str) -> str:
    return scorecard.sections(text)[scorecard.SECTION]


def test_the_committed_scorecard_is_what_the_sections_say() -> None:
    text = RESULTS.read_text()
    assert scorecard_body(text) == scorecard.build(text), "run `python -m benchmarks.scorecard`"


def test_every_row_finds_its_figure() -> None:
    bodies = scorecard.sections(RESULTS.read_text())
    for row in scorecard.ROWS:
        scorecard.measure(row, bodies)  # raises Missing


def test_rewriting_a_section_rewrites_its_row(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    original = RESULTS.read_text()
    results.write_text(original)
    search = scorecard.sections(original)["intelligence-search"]
    slower = re.sub(r"(slowest search median: .*?, )[\d.]+ ms\)", r"\g<1>61.5 ms)", search)
    update_section("intelligence-search", slower, results)
    row = next(line for line in scorecard_body(results.read_text()).splitlines() if "publisher search" in line)
    assert "| 61.5 ms | **no** |" in row


def test_a_figure_that_is_gone_is_reported_not_kept() -> None:
    row = scorecard.Row("area", "figure", "-", "issue 0", "intelligence-search", r"median of nothing: (\d+)")
    with pytest.raises(scorecard.Missing, match="matches nothing"):
        scorecard.measure(row, scorecard.sections(RESULTS.read_text()))
    with pytest.raises(scorecard.Missing, match=r"not in RESULTS\.md"):
        scorecard.measure(row, {})


def test_counts_may_be_zero() -> None:
    row = next(row for row in scorecard.ROWS if "not flat" in row.figure)
    body = scorecard.sections(RESULTS.read_text())[row.section].replace("**no**", "yes")
    assert scorecard.measure(row, {row.section: body}) == 0
