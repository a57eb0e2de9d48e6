"""The dependency faults of `make chaos`: Everflow failing, Pub/Sub redelivering, Stripe repeating itself.

Each scenario starts its own platform in this process (embedded PostgreSQL and Valkey, both sandboxes,
every function on loopback), runs for a bounded time, and reports checks read from the final state:
see docs/stress.md, "Faults".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmarks.chaos import dependencies_everflow, dependencies_pubsub, dependencies_stripe
from benchmarks.chaos.outcome import Outcome

NAMES: tuple[str, ...] = ("everflow-faults", "pubsub-redelivery", "stripe-events")
DEFAULT_FAULT_SECONDS = 60.0


def run(names: Sequence[str], *, fault_seconds: float = DEFAULT_FAULT_SECONDS) -> list[Outcome]:
    """Run the named scenarios one after another; `fault_seconds` is how long Everflow fails."""
    scenarios: dict[str, Callable[[], Outcome]] = {
        "everflow-faults": lambda: dependencies_everflow.run(fault_seconds),
        "pubsub-redelivery": dependencies_pubsub.run,
        "stripe-events": dependencies_stripe.run,
    }
    unknown = sorted(set(names) - set(scenarios))
    if unknown:
        raise ValueError(f"unknown scenarios: {', '.join(unknown)} (known: {', '.join(NAMES)})")
    return [scenarios[name]() for name in names]
