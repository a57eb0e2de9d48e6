"""The cross-tenant matrix: one module per area adds `CASES` for its protected routes.

A case maps (method, OpenAPI path) to (build, expect): `build(ctx)` returns the request path and JSON
body that act on a resource of `ctx.target_org`; `expect(role, relation, action)` the status.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from shared.auth.policy import POLICY
from shared.domain.roles import Role

Request = tuple[str, dict[str, Any] | None]
Expect = Callable[[Role, str, str], int]
Case = tuple[Callable[["Context"], Request], Expect]


@dataclass
class Context:
    """The caller's role, its relation to the target organization, and access to any test fixture."""

    role: Role
    relation: str
    target_org: int
    request: pytest.FixtureRequest

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def member(self) -> Any:
        """A plain user of the target organization."""
        return self.fixture("make_user")(Role.USER, self.target_org)


def tenant(success: int) -> Expect:
    """A resource of the target organization: allowed roles reach their own (or all, across tenants)."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return success if role.crosses_tenants or relation == "own" else 404
    return expect


def own(success: int) -> Expect:
    """A route about the caller's own data: allowed roles succeed."""
    def expect(role: Role, relation: str, action: str) -> int:
        return success if role in POLICY[action] else 403
    return expect


def all_cases() -> dict[tuple[str, str], Case]:
    cases: dict[tuple[str, str], Case] = {}
    for module in pkgutil.iter_modules(__path__):
        area = importlib.import_module(f"{__name__}.{module.name}")
        overlap = set(cases) & set(area.CASES)
        assert not overlap, f"{module.name} repeats {overlap}"
        cases.update(area.CASES)
    return cases
