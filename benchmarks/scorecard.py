"""The scorecard at the top of benchmarks/RESULTS.md: every headline figure beside its target.

Nothing in it is typed by hand. Each row names the section that holds the figure and a pattern that
finds the figure in that section's text; the command, date and machine come from the section's own
facts (`results.run_facts`). So a benchmark run that replaces a section also changes the scorecard,
and a section whose wording changed so that a pattern no longer matches fails loudly (`Missing`)
instead of leaving a stale figure behind. `python -m benchmarks.scorecard` rebuilds it;
`update_section` rebuilds it after every other section it writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import table

SECTION = "scorecard"
SEED = "seed"  # the seed document's load-test claims and SLOs (reference/original-backend.md §11)


class Missing(LookupError):
    """A row's section or figure is not in RESULTS.md."""


@dataclass(frozen=True)
class Row:
    area: str
    figure: str
    target: str  # as the seed document or the issue states it
    source: str  # "seed" or "issue N"
    section: str
    pattern: str  # a regex whose first group is the measured figure as printed in the section
    met: Callable[[float], bool] | None = None  # None: reported beside the target, not judged
    unit: str = ""
    pick: Callable[[list[str]], float] = lambda found: _number(found[0])  # from every match in the section


def _number(printed: str) -> float:
    return float(printed.replace(",", ""))


def _largest(found: list[str]) -> float:
    return max(_number(value) for value in found)


def _count(found: list[str]) -> float:
    return float(len(found))


def _below(limit: float) -> Callable[[float], bool]:
    return lambda value: value < limit


def _at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


def _at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _equal(expected: float) -> Callable[[float], bool]:
    return lambda value: value == expected


ROWS: tuple[Row, ...] = (
    Row("load", "concurrent users of `make load`", "1,000", SEED, "mixed-load",
        r"\| concurrent users \| [^|]+ \| ([\d,]+) ", _at_least(1000)),
    Row("load", "average latency of the mix", "150 ms", SEED, "mixed-load",
        r"\| average latency \| [^|]+ \| ([\d,.]+) ms", _at_most(150), " ms"),
    Row("load", "p95 of the mix", "300 ms (load test)", SEED, "mixed-load", r"\| p95 \| [^|]+ \| ([\d,.]+) ms",
        _at_most(300), " ms"),
    Row("load", "p95 of the mix", "< 200 ms (API SLO)", SEED, "mixed-load", r"\| p95 \| [^|]+ \| ([\d,.]+) ms",
        _below(200), " ms"),
    Row("load", "p99 of the mix", "500 ms", SEED, "mixed-load", r"\| p99 \| [^|]+ \| ([\d,.]+) ms", _at_most(500),
        " ms"),
    Row("load", "requests/s (theirs on three pods, ours on one 2-core machine with the load generator)", "2,500",
        SEED, "mixed-load", r"\| requests/s \| [^|]+ \| ([\d,.]+) ", _at_least(2500)),
    Row("load", "error rate of the mix", "0.01 % (load test), < 0.1 % (SLO)", SEED, "mixed-load",
        r"\| error rate \| [^|]+ \| ([\d.]+)%", _at_most(0.01), " %"),
    Row("faults", "errors while Redis is down (service continues)", "error rate < 0.1 %", SEED, "chaos",
        r"\| `redis-killed` \|[^|]+\|[^|]+\|[^|]+\| requests \d+, errors (\d+),", _equal(0)),
    Row("cold start", "slowest function, median spawn to first 200 (gunicorn)", "-", "issue 2", "cold-start",
        r"\| [a-z-]+ \| (\d+) \| \d+ \| \d+ \| \d+ \|", unit=" ms", pick=_largest),
    Row("warm latency", "GET /api/v1/organizations/{id}, 8 connections, median", "-", "issue 2", "warm-python",
        r"\(Admin\) \| \d+ \| ([\d.]+) \|", unit=" ms"),
    Row("warm latency", "GET /api/v1/organizations/{id}, 8 connections, req/s (one process)", "-", "issue 2",
        "warm-python", r"\(Admin\) \| (\d+) \|", unit=" req/s"),
    Row("authentication", "token + profile + policy, median with caching (ES256)", "< 1,000 µs", "issue 3",
        "auth-overhead", r"ES256 \(JWKS\), principal cache warm \| \d+ \| ([\d.]+) \|", _below(1000), " µs"),
    Row("lists", "list and get routes whose median is not flat from 1k to 100k rows (ratio > 1.5, > +1 ms)",
        "0", "issue 4", "list-latency", r"\| \d+/\d+ \| (\*\*no\*\*) \|", _equal(0), pick=_count),
    Row("lists", "slowest list or get median at 100k rows", "-", "issue 4", "list-latency",
        r"(?m)^\| [a-z ]+ \| [^|]+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", unit=" ms", pick=_largest),
    Row("database", "slowest list or get p99 at 100k rows (whole request; the query is part of it)",
        "DB p95 < 100 ms", SEED, "list-latency",
        r"(?m)^\| [a-z ]+ \| [^|]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", _below(100), " ms", _largest),
    Row("Everflow sync", "10,000 advertisers: active time over the rate-limit bound", "-", "issue 5", "sync-all",
        r"\*\*active time vs rate-limit bound\*\* \| \*\*\+([\d.]+) %\*\*", unit=" %"),
    Row("Everflow sync", "429s received while syncing 10,000 advertisers", "0", "issue 5", "sync-all",
        r"429s received \| (\d+) \|", _equal(0)),
    Row("dashboards", "cache hit rate of first visits (1,000 users)", "> 90 % (seed), >= 95 % (issue 6)",
        "issue 6", "dashboards", r"\| 4 \| first visit \| [\d,]+ \| \d+ \| \*\*([\d.]+)%\*\*", _at_least(95), " %"),
    Row("dashboards", "Everflow reporting calls per cold dashboard load", "~10 (seed), <= 2 (issue 6)", "issue 6",
        "dashboards", r"max (\d+), mean [\d.]+ over \d+ loads", lambda calls: calls <= 2),
    Row("dashboards", "warm dashboard p99 at 4 connections", "< 200 ms (seed), < 20 ms (issue 6)", "issue 6",
        "dashboards", r"every dashboard cached\) \| [^|]+ \| [^|]+ \| ([\d.]+) ms at 4", _below(20), " ms"),
    Row("dashboards", "warm dashboard p99 at 1 connection (service time)", "< 20 ms", "issue 6", "dashboards",
        r"\| [\d.]+ / ([\d.]+) ms \(200\)", _below(20), " ms"),
    Row("dashboards", "cold dashboard p99, sandbox's 80 ms per call included", "< 300 ms", "issue 6",
        "dashboards", r"\| (\d+) ms \(p50 \d+ ms, \d+ misses\)", _below(300), " ms"),
    Row("billing", "daily usage billing of 10,000 organizations, first run", "-", "issue 7", "billing-usage",
        r"\| first run \| ([\d.]+) \|", unit=" s"),
    Row("billing", "charges booked by a second run of the same day", "0", "issue 7", "billing-usage",
        r"\| second run \| [\d.]+ \| \d+ \| \d+ \| \d+ \| \d+ \| (\d+) \|", _equal(0)),
    Row("publisher search", "slowest search median on 100k publishers", "< 50 ms", "issue 8",
        "intelligence-search", r"slowest search median: .*?, ([\d.]+) ms\)", _below(50), " ms"),
    Row("fuzzing", "generated requests, every operation as every role", ">= 5,000", "issue 10", "fuzz",
        r"requests: ([\d,]+) in all", _at_least(5000)),
    Row("fuzzing", "5xx, schema violations and cross-tenant leaks found", "0", "issue 10", "fuzz",
        r"failures: (\d+)", _equal(0)),
    Row("load", "peak RSS of one function process (gunicorn master + worker)", "-", "issue 10", "mixed-load",
        r"\| [a-z_]+ \([a-z]+\) \| \d+ \| (\d+) \|", unit=" MB", pick=_largest),
    Row("faults", "`make chaos` scenarios passing", "5 of 5", "issue 10", "chaos", r"\| `[a-z-]+` \| (pass) \|",
        _equal(5), pick=_count),
    Row("faults", "seconds to answer again after PostgreSQL restarts (no function restarted)", "-", "issue 10",
        "chaos", r"s to recover ([\d.]+)", unit=" s"),
    Row("faults", "seconds for every entity to reach Everflow after 60 s of 429/500/timeouts", "-", "issue 10",
        "chaos", r"seconds to converge after the faults ([\d.]+)", unit=" s"),
    Row("soak", "minutes of mixed load", ">= 30", "issue 10", "soak", r"users for ([\d.]+) min", _at_least(30)),
    Row("soak", "memory, descriptor or connection series that grew or passed their bound", "0", "issue 10", "soak",
        r"\((GREW|EXCEEDED)\)", _equal(0), pick=_count),
)


def sections(text: str) -> dict[str, str]:
    """Each `<!-- BEGIN name -->` ... `<!-- END name -->` block of RESULTS.md by name."""
    found = re.finditer(r"<!-- BEGIN (\S+) -->\n(.*?)\n<!-- END \1 -->", text, re.DOTALL)
    return {match.group(1): match.group(2) for match in found}


def _fact(body: str, name: str) -> str:
    match = re.search(rf"^- {name}: (.+)$", body, re.MULTILINE)
    return match.group(1) if match else "-"


def _machine(body: str) -> str:
    """'2 cores, AMD EPYC' out of the section's machine line (the kernel and load are in the section)."""
    return ", ".join(_fact(body, "machine").split(", ")[:2])


def _command(body: str) -> str:
    command = _fact(body, "command").split(" (in ")[0].strip("`")
    return command.replace(".venv/bin/python", "python")


def measure(row: Row, bodies: dict[str, str]) -> float:
    body = bodies.get(row.section)
    if body is None:
        raise Missing(f"section {row.section!r} is not in RESULTS.md")
    found = re.findall(row.pattern, body)
    if not found and row.pick is not _count:
        raise Missing(f"{row.area} / {row.figure}: {row.pattern!r} matches nothing in section {row.section!r}")
    return row.pick(found)


COLUMNS = ["area", "figure", "target", "measured", "met", "command", "section, date, machine"]


def _cells(row: Row, bodies: dict[str, str]) -> list[str]:
    value = measure(row, bodies)
    verdict = "-" if row.met is None else ("yes" if row.met(value) else "**no**")
    body = bodies[row.section]
    return [row.area, row.figure, row.target, f"{value:g}{row.unit}", verdict, f"`{_command(body)}`",
            f"{row.section}, {_fact(body, 'date')[:10]}, {_machine(body)}"]


def build(text: str) -> str:
    """The scorecard section's body for the RESULTS.md text given."""
    bodies = sections(text)
    seed = [_cells(row, bodies) for row in ROWS if row.source == SEED]
    ours = [[row.source, *_cells(row, bodies)] for row in ROWS if row.source != SEED]
    return "\n".join([
        "## Scorecard",
        "",
        "Every figure below is read from the section named in its last column (by `benchmarks/scorecard.py`,",
        "whenever a section is rewritten; `python -m benchmarks.scorecard` rebuilds it). '-' in 'met': a figure",
        "reported for scale, with no target to judge it by. Machines: the 2-core sandboxes these sessions run on",
        "(CPU model in the last column; each section adds the kernel and the load average at the start).",
        "",
        "### Against the seed document's targets",
        "",
        "The original's documented claims (reference/original-backend.md §11): load test with 1,000 concurrent",
        "users, 150 ms average, p95 300 ms, p99 500 ms, 2,500 RPS on three pods, error rate 0.01 %; SLOs API",
        "p95 < 200 ms, p99 < 500 ms, DB query p95 < 100 ms, error rate < 0.1 %.",
        "",
        table(COLUMNS, seed),
        "",
        "### Against this project's issues",
        "",
        table(["issue", *COLUMNS], ours),
    ])


def refresh(path: Path) -> None:
    """Rebuild the scorecard of `path` in place (where its markers are: after the header)."""
    text = path.read_text()
    begin, end = f"<!-- BEGIN {SECTION} -->", f"<!-- END {SECTION} -->"
    start, stop = text.index(begin) + len(begin), text.index(end)
    path.write_text(f"{text[:start]}\n{build(text)}\n{text[stop:]}")


if __name__ == "__main__":
    from benchmarks.results import RESULTS

    refresh(RESULTS)
    print(f"scorecard rebuilt in {RESULTS}")
