"""Every protected route x every role x (own organization, foreign organization, no organization).

The cases come from tests/e2e/matrix/ (one module per area) and the expectations from the policy
table; a protected route of the registry without a case fails the first test, so none ships untested.
"""

from __future__ import annotations

from functools import cache

import pytest

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from shared.http.openapi import load_routers, openapi_path
from tests.e2e.matrix import Context, all_cases

HOME_TYPE = {
    Role.ADMIN: "platform_owner",
    Role.PLATFORM_OWNER: "platform_owner",
    Role.ADVERTISER_MANAGER: "advertiser",
    Role.AFFILIATE_MANAGER: "affiliate",
    Role.AGENCY_MANAGER: "agency",
    Role.USER: "advertiser",
}
RELATIONS = ("own", "foreign", "none")
CASES = all_cases()


@cache
def protected_routes() -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) -> action of every route that needs a caller."""
    return {(route.method, openapi_path(route.path)): route.action
            for router in load_routers() for route in router.routes if route.action is not None}


def test_every_protected_route_is_in_the_matrix_and_every_action_in_the_policy() -> None:
    routes = protected_routes()
    assert sorted(routes) == sorted(CASES)
    assert set(routes.values()) <= set(POLICY)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.role_name)
@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_cross_tenant_matrix(api, make_user, make_org, request, route, role, relation) -> None:
    home = make_org(HOME_TYPE[role])
    other = make_org(HOME_TYPE[role])
    caller = make_user(role, None if relation == "none" else home)
    build, expect = CASES[route]
    path, body = build(Context(role, relation, home if relation == "own" else other, request))
    response = api.request(route[0], path, json=body, headers=caller.headers)
    assert response.status_code == expect(role, relation, protected_routes()[route]), response.text
