"""`python -m benchmarks.chaos`: which scenarios run, what it prints, what it writes to RESULTS.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.chaos import __main__ as runner
from benchmarks.chaos import dependencies, infrastructure
from benchmarks.chaos.outcome import Outcome
from benchmarks.results import update_section

PASSED = Outcome("postgres-restart", 26.6, {"503 while down": True, "recovered": True}, {"503s": 412, "s": 0.13})
FAILED = Outcome("redis-killed", 30.0, {"no 5xx": False, "limits": True}, {"errors": 3})


def test_no_names_runs_every_scenario_and_names_keep_the_canonical_order() -> None:
    assert runner.parse_args([]).names == [*infrastructure.NAMES, *dependencies.NAMES]
    assert runner.parse_args(["redis-killed", "postgres-restart"]).names == ["postgres-restart", "redis-killed"]


def test_fault_seconds_reach_the_everflow_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []

    def run(names: list[str], *, fault_seconds: float) -> list[Outcome]:
        seen.append(fault_seconds)
        return [PASSED]

    monkeypatch.setattr(dependencies, "run", run)
    args = runner.parse_args(["everflow-faults", "--fault-seconds", "5"])
    runner.run_one(args.names[0], args.fault_seconds)
    assert seen == [5.0]


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(SystemExit):
        runner.parse_args(["postgres-restrat"])


def test_the_line_shows_the_verdict_each_check_and_each_figure() -> None:
    assert runner.line(PASSED) == ("postgres-restart PASS in 26.6 s | ok: 503 while down; ok: recovered"
                                   " | 503s 412, s 0.13")
    assert runner.line(FAILED).startswith("redis-killed FAIL in 30.0 s | FAILED: no 5xx; ok: limits")


def test_the_row_counts_checks_and_names_the_failed_ones() -> None:
    assert runner.row(FAILED, "now") == ["`redis-killed`", "**FAIL**", "30 s", "1/2 (failed: no 5xx)", "errors 3",
                                         "now"]


def test_a_subset_run_keeps_the_rows_of_the_scenarios_it_did_not_run(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    update_section(runner.SECTION, runner.section([PASSED, FAILED], []), results)
    kept = runner.kept_rows(results.read_text(), {"postgres-restart"})
    assert len(kept) == 1 and kept[0].startswith("| `redis-killed` | **FAIL** |")
    update_section(runner.SECTION, runner.section([PASSED], kept), results)
    text = results.read_text()
    assert text.count("## Faults (make chaos)") == 1
    assert text.count("| `postgres-restart` |") == 1 and text.count("| `redis-killed` |") == 1


def test_a_scenario_that_crashes_fails_instead_of_stopping_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(names: list[str]) -> list[Outcome]:
        raise RuntimeError("pg_ctl: could not start server")

    monkeypatch.setattr(infrastructure, "run", crash)
    outcome = runner.run_one("postgres-restart", 60.0)
    assert not outcome.passed
    assert outcome.checks == {"ran to the end": False}
    assert "could not start server" in str(outcome.figures["error"])
