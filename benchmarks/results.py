"""benchmarks/RESULTS.md: one section per benchmark, replaced between its markers by the run that made it."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shlex
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# Taken when `python -m benchmarks` imports this module, before it starts any server of its own:
# a high figure means other work shared the machine with the run.
LOAD_AT_START = os.getloadavg()[0]
HEADER = """# Benchmark results

Recorded by `python -m benchmarks` (`make bench`); see `benchmarks/__main__.py` for the options.
Each section below is replaced by the run that produced it; the others are kept. Figures depend on
the machine they were taken on: compare runs from the same machine only.
"""


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def run_facts(generator: str | None = None) -> list[str]:
    """Command, date, machine and load generator, as Markdown list items."""
    facts = [
        f"- command: `{shlex.join(sys.orig_argv)}` (in `{Path.cwd()}`)",
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}; 1-min load average {LOAD_AT_START:.2f} before the run started",
    ]
    if generator:
        facts.append(f"- load generator: {generator}")
    return facts


def update_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace the section `name` (or append it) and keep every other section as it was."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _: block, text, count=1) if found else f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text if text.endswith("\n") else text + "\n")
    from benchmarks import scorecard  # it builds its tables with `table` below

    if name != scorecard.SECTION and f"<!-- BEGIN {scorecard.SECTION} -->" in text:
        try:
            scorecard.refresh(path)
        except scorecard.Missing as missing:  # the section is written; tests/unit/test_scorecard.py fails on this
            print(f"scorecard not refreshed: {missing}", file=sys.stderr)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (also readable as plain text on stdout)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
