"""Generate Terraform's view of the function registry: `terraform/generated/functions.tfvars.json`.

    python -m functions.terraform_vars            # print the JSON
    python -m functions.terraform_vars --write    # (re)write the committed file
    python -m functions.terraform_vars --check    # exit 1 when the committed file has drifted

Both environments (`terraform/environments/*`) read the committed file, so the registry stays the
single source of truth for what is deployed; `tests/unit/test_terraform.py` fails when they drift.
Everything Terraform needs that follows from a row is computed here, in Python, where it is tested:
the service-account role, the CPU a concurrency needs, the Pub/Sub topics (application topics only:
Cloud Scheduler calls the scheduled functions over HTTP), and the load balancer's route rules (with the
local router's own precedence).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from functions.local.router import specificity
from functions.registry import FUNCTIONS, FunctionSpec, Trigger
from shared.domain.events import CATALOGUE_TOPIC

OUTPUT = Path(__file__).resolve().parents[1] / "terraform" / "generated" / "functions.tfvars.json"

# Topics the application publishes to (outbox relay) that may have no subscriber row yet.
PUBLISHED_TOPICS = (CATALOGUE_TOPIC,)
SCHEDULER_TIME_ZONE = "Etc/UTC"
WEBHOOK_PATH_PREFIX = "/api/v1/public/webhooks/"
HEALTH_PATH = "/health"

# Cloud Functions (2nd gen) default vCPU per memory size; a concurrency above 1 needs at least 1 vCPU.
_CPU_BY_MEMORY_MB = ((128, 0.083), (256, 0.167), (512, 0.333), (1024, 0.583), (2048, 1),
                     (4096, 2), (8192, 2), (16384, 4), (32768, 8))


def cpu_for(memory_mb: int, concurrency: int) -> str:
    """The `available_cpu` of a function: the platform default for its memory, at least 1 when concurrent."""
    cpu: float = next((cpu for limit, cpu in _CPU_BY_MEMORY_MB if memory_mb <= limit), 8)
    if concurrency > 1:
        cpu = max(cpu, 1)
    return f"{cpu:g}"


def role(spec: FunctionSpec) -> str:
    """Which runtime service account runs the function: one per role, least privilege for each."""
    if spec.trigger is Trigger.PUBSUB:
        return "sync"
    if spec.trigger is Trigger.SCHEDULE:
        return "jobs"
    return "webhooks" if any(p.startswith(WEBHOOK_PATH_PREFIX) for p in spec.paths) else "api"


def function_vars(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "entry_point": spec.entry_point,
        "module": spec.module,
        "trigger": spec.trigger.value,
        "role": role(spec),
        "paths": list(spec.paths),
        "memory_mb": spec.memory_mb,
        "cpu": cpu_for(spec.memory_mb, spec.concurrency),
        "timeout_s": spec.timeout_s,
        "max_instances": spec.max_instances,
        "min_instances": spec.min_instances,
        "concurrency": spec.concurrency,
        "secrets": sorted(spec.secrets),
        "topic": spec.topic,
        "schedule": spec.schedule,
    }


def path_matches(prefix: str) -> list[dict[str, str | None]]:
    """URL-map match rules for a registry prefix, segment-exact like the local router.

    `/a/b` matches `/a/b` and `/a/b/...` (not `/a/bc`); a `*` segment matches any one segment and
    becomes a path-template variable.
    """
    segments = prefix.strip("/").split("/")
    if "*" not in segments:
        rules = [{"full_path_match": "/" + "/".join(segments)}, {"prefix_match": "/" + "/".join(segments) + "/"}]
    else:
        names = iter(range(1, len(segments) + 1))
        template = "/" + "/".join(f"{{p{next(names)}=*}}" if s == "*" else s for s in segments)
        rules = [{"path_template_match": template}, {"path_template_match": template + "/**"}]
    empty: dict[str, str | None] = {"full_path_match": None, "prefix_match": None, "path_template_match": None}
    return [{**empty, **rule} for rule in rules]


def _most_specific_first(item: tuple[str, FunctionSpec]) -> tuple[int, int, str]:
    segments, fewer_wildcards = specificity(item[0])
    return -segments, -fewer_wildcards, item[0]


def routes(specs: list[FunctionSpec]) -> list[dict[str, Any]]:
    """Route rules in priority order: `/health`, then the most specific prefix first (as the local router)."""
    by_prefix = sorted(((p, s) for s in specs for p in s.paths), key=_most_specific_first)
    health = {"priority": 1, "function": specs[0].name, "prefix": HEALTH_PATH,
              "matches": [{"full_path_match": HEALTH_PATH, "prefix_match": None, "path_template_match": None}]}
    return [health] + [
        {"priority": index, "function": spec.name, "prefix": prefix, "matches": path_matches(prefix)}
        for index, (prefix, spec) in enumerate(by_prefix, start=2)
    ]


def terraform_vars(specs: tuple[FunctionSpec, ...] = FUNCTIONS) -> dict[str, Any]:
    functions = {spec.name: function_vars(spec) for spec in specs}
    topics = {spec.topic for spec in specs if spec.topic} | set(PUBLISHED_TOPICS)
    schedules = {
        spec.name: {"schedule": spec.schedule, "time_zone": SCHEDULER_TIME_ZONE, "timeout_s": spec.timeout_s}
        for spec in specs if spec.trigger is Trigger.SCHEDULE
    }
    http = [spec for spec in specs if spec.trigger is Trigger.HTTP]
    return {"functions": functions, "topics": sorted(topics), "schedules": schedules, "routes": routes(http)}


def render(specs: tuple[FunctionSpec, ...] = FUNCTIONS) -> str:
    return json.dumps(terraform_vars(specs), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.terraform_vars", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(OUTPUT.parents[2])}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed file differs")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(text, encoding="utf-8")
    elif args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{OUTPUT} is out of date: run `python -m functions.terraform_vars --write`\n")
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
