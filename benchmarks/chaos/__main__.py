"""`python -m benchmarks.chaos [names...]`: run fault scenarios, print each, record them, exit 1 on a failure.

The infrastructure faults (benchmarks/chaos/infrastructure.py) and the dependency faults
(benchmarks/chaos/dependencies.py) run one after another, in that order, all of them by default.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence

from benchmarks.chaos import dependencies, infrastructure
from benchmarks.chaos.outcome import Outcome
from benchmarks.results import RESULTS, run_facts, table, update_section

SECTION = "chaos"
HEADINGS = ["scenario", "result", "duration", "checks", "key figures", "recorded"]
BEGIN, END = f"<!-- BEGIN {SECTION} -->", f"<!-- END {SECTION} -->"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    outcomes = []
    for name in args.names:
        outcome = run_one(name, args.fault_seconds)
        print(line(outcome), flush=True)
        outcomes.append(outcome)
    update_section(SECTION, section(outcomes, kept_rows(RESULTS.read_text() if RESULTS.exists() else "",
                                                         {o.scenario for o in outcomes})))
    failed = [o.scenario for o in outcomes if not o.passed]
    print(f"{len(outcomes) - len(failed)}/{len(outcomes)} scenarios passed" + (f"; failed: {', '.join(failed)}"
                                                                            if failed else ""))
    return 1 if failed else 0


def run_one(name: str, fault_seconds: float) -> Outcome:
    """One scenario; one that crashes fails (with the error as its figure) and the others still run."""
    run: Callable[[Sequence[str]], list[Outcome]] = (
        infrastructure.run if name in infrastructure.NAMES
        else functools.partial(dependencies.run, fault_seconds=fault_seconds))
    began = time.perf_counter()
    try:
        [outcome] = run([name])
    except Exception as exc:  # reported as the scenario's failure, with its traceback
        traceback.print_exc()
        return Outcome(name, time.perf_counter() - began, {"ran to the end": False}, {"error": repr(exc)[:200]})
    return outcome


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Scenario names in the runner's order (all by default) and how long Everflow fails."""
    known = [*infrastructure.NAMES, *dependencies.NAMES]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"scenarios to run (default: all): {', '.join(known)}")
    parser.add_argument("--fault-seconds", type=float, default=dependencies.DEFAULT_FAULT_SECONDS,
                        help="everflow-faults: how long the sandbox answers 429/500/timeouts (default 60)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.names = [name for name in known if name in args.names] if args.names else known
    return args


def line(outcome: Outcome) -> str:
    """One line per scenario: verdict, every check, every figure."""
    checks = "; ".join(f"{'ok' if held else 'FAILED'}: {name}" for name, held in outcome.checks.items())
    figures = ", ".join(f"{name} {value}" for name, value in outcome.figures.items())
    verdict = "PASS" if outcome.passed else "FAIL"
    return f"{outcome.scenario} {verdict} in {outcome.duration_s:.1f} s | {checks} | {figures}"


def row(outcome: Outcome, recorded: str) -> list[str]:
    passed = sum(outcome.checks.values())
    failed = [name for name, held in outcome.checks.items() if not held]
    checks = f"{passed}/{len(outcome.checks)}" + (f" (failed: {'; '.join(failed)})" if failed else "")
    figures = ", ".join(f"{name} {value}" for name, value in outcome.figures.items())
    return [f"`{outcome.scenario}`", "pass" if outcome.passed else "**FAIL**", f"{outcome.duration_s:.0f} s",
            checks, figures.replace("|", "/"), recorded]


def section(outcomes: Sequence[Outcome], kept: Sequence[str]) -> str:
    """The Markdown section: this run's facts, its rows, and the rows of scenarios it did not run."""
    recorded = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = table(HEADINGS, [row(o, recorded) for o in outcomes]).splitlines()
    body = [
        "## Faults (make chaos)", "",
        "Each scenario injects one fault under load and passes when every check holds"
        " (docs/stress.md, \"Faults\"). Rows of scenarios this run did not include are kept from earlier runs.", "",
        *run_facts(), "",
        *rows, *kept,
    ]
    return "\n".join(body)


def kept_rows(text: str, ran: set[str]) -> list[str]:
    """Table rows of the current section for scenarios not run now, so a subset run does not erase them."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin < 0 or end < 0:
        return []
    found = re.finditer(r"^\| `([^`]+)` \|.*$", text[begin:end], re.MULTILINE)
    return [match.group(0) for match in found if match.group(1) not in ran]


if __name__ == "__main__":
    sys.exit(main())
