"""Cold start: spawn `functions-framework` (gunicorn, as in production) and time it to the first 200 from /health."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from benchmarks.importtime import ImportProfile, profile_imports
from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform, StartFailed, function_process, functions_framework_command, wait_for_health
from functions.registry import FunctionSpec, http_functions


@dataclass(frozen=True)
class ColdStart:
    spec: FunctionSpec
    seconds: list[float]
    imports: ImportProfile
    failure: str | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else math.nan

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000 if self.seconds else math.nan


def run_cold_starts(platform: Platform, *, runs: int) -> list[ColdStart]:
    """Every HTTP function in the registry, `runs` spawns each, plus its import profile."""
    results = []
    for spec in http_functions():
        seconds, failure = _spawn_times(spec, platform, runs)
        imports = profile_imports(spec.entry_point, spec.module, platform.env)
        results.append(ColdStart(spec, seconds, imports, failure))
        print(f"  {spec.name}: {_outcome(results[-1])}", flush=True)
    return results


def _spawn_times(spec: FunctionSpec, platform: Platform, runs: int) -> tuple[list[float], str | None]:
    seconds: list[float] = []
    log_path = platform.work_dir / f"cold-{spec.entry_point}.log"
    for _ in range(runs):
        with function_process(spec.entry_point, platform.env, log_path) as function:
            try:
                seconds.append(wait_for_health(function))
            except StartFailed as exc:
                return seconds, str(exc)
    return seconds, None


def _outcome(result: ColdStart) -> str:
    if result.failure:
        return f"FAILED after {len(result.seconds)} run(s): {result.failure}"
    return f"median {result.median_ms:.0f} ms, max {result.max_ms:.0f} ms over {len(result.seconds)} runs"


def report_cold_starts(results: list[ColdStart], *, runs: int) -> str:
    """Print the figures and record them in RESULTS.md; return the Markdown section."""
    example = " ".join(functions_framework_command("<entry_point>", 0)[1:]).replace("--port=0", "--port=<free>")
    lines = [
        "## Cold start",
        "",
        *run_facts(),
        f"- method: {runs} spawns per HTTP function of `functions-framework {example}` (no --debug, so gunicorn"
        " serves it as in production), timed from spawn to the first 200 from `GET /health` (polled every"
        " 5 ms; the first /health also opens the first database and Redis connections)",
        "",
        table(["function", "median ms", "max ms", "runs", "import ms (-X importtime)", "note"],
              [_spawn_row(r) for r in results]),
    ]
    for result in results:
        lines += ["", *_import_lines(result)]
    section = "\n".join(lines)
    print(section)
    update_section("cold-start", section)
    return section


def _spawn_row(result: ColdStart) -> list[str]:
    note = result.failure or ""
    return [result.spec.name, f"{result.median_ms:.0f}", f"{result.max_ms:.0f}", str(len(result.seconds)),
            f"{result.imports.total_ms:.0f}", note.replace("|", "/")]


def _import_lines(result: ColdStart) -> list[str]:
    imports = result.imports
    title = f"### `python -X importtime -c \"import main; main.{imports.entry_point}\"`: top 10 cumulative"
    if imports.failure:
        return [title, "", f"import failed: `{imports.failure}`"]
    rows = [[f"`{c.module}`", f"{c.cumulative_ms:.1f}", f"{c.self_ms:.1f}", str(c.depth)]
            for c in imports.offenders]
    return [title, "", f"Importing `main` and `{result.spec.module}`: {imports.total_ms:.1f} ms (the run with the"
            " median total of 3; `main` loads the function module with `importlib.import_module`, which -X importtime"
            " does not itemise, so that module's imports appear at nesting 0)",
            "", table(["module", "cumulative ms", "self ms", "nesting"], rows),
            "", "Self time by top-level package: "
            + ", ".join(f"{package} {ms:.1f} ms" for package, ms in imports.by_package)]
