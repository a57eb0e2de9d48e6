"""What one fault scenario of `make chaos` reports: its figures and its consistency checks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """One scenario's result. It passed when every check holds; figures are shown as measured."""

    scenario: str  # e.g. "postgres-restart"
    duration_s: float
    checks: dict[str, bool]  # each consistency check by a readable name, e.g. "ledger sums equal balances"
    figures: dict[str, str | int | float] = field(default_factory=dict)  # e.g. {"503s while down": 412}

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(self.checks.values())
