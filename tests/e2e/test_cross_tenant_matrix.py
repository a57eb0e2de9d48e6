"""Every protected route x every role x (own organization, foreign organization, no organization).

The cases are generated from the registry's routers and the policy table: a protected route without
an entry in CASES fails `test_every_protected_route_is_in_the_matrix`, so none can ship untested.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from shared.http.openapi import load_routers

HOME_TYPE = {
    Role.ADMIN: "platform_owner",
    Role.PLATFORM_OWNER: "platform_owner",
    Role.ADVERTISER_MANAGER: "advertiser",
    Role.AFFILIATE_MANAGER: "affiliate",
    Role.AGENCY_MANAGER: "agency",
    Role.USER: "advertiser",
}
RELATIONS = ("own", "foreign", "none")


@dataclass
class Context:
    role: Role
    relation: str
    target_org: int
    make_user: Callable[..., object]

    def member(self) -> object:
        """A plain user of the target organization."""
        return self.make_user(Role.USER, self.target_org)


Request = tuple[str, dict[str, object] | None]


def _new_member(ctx: Context) -> Request:
    user_id = uuid.uuid4()
    return "/api/v1/profiles", {"id": str(user_id), "organization_id": ctx.target_org, "role_id": 100000,
                                "email": f"{user_id}@matrix.test"}


def _upsert_member(ctx: Context) -> Request:
    path, body = _new_member(ctx)
    return path + "/upsert", body


def tenant(success: int) -> Callable[[Role, str, str], int]:
    """A resource of the target organization: allowed roles see their own (or all, across tenants)."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        return success if role.crosses_tenants or relation == "own" else 404
    return expect


def own(success: int) -> Callable[[Role, str, str], int]:
    """A route about the caller's own data: allowed roles succeed."""
    def expect(role: Role, relation: str, action: str) -> int:
        return success if role in POLICY[action] else 403
    return expect


def member_write(success: int) -> Callable[[Role, str, str], int]:
    """Creating a member: platform admins anywhere, managers in their own organization only."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role.crosses_tenants or (role is not Role.USER and relation == "own"):
            return success
        return 403
    return expect


def member_edit(success: int) -> Callable[[Role, str, str], int]:
    """Changing another member: invisible outside your organization (404), refused to plain users (403)."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role not in POLICY[action]:
            return 403
        if role.crosses_tenants:
            return success
        if relation != "own":
            return 404
        return 403 if role is Role.USER else success
    return expect


CASES: dict[tuple[str, str], tuple[Callable[[Context], Request], Callable[[Role, str, str], int]]] = {
    ("GET", "/api/v1/organizations"): (lambda c: ("/api/v1/organizations", None), own(200)),
    ("POST", "/api/v1/organizations"): (
        lambda c: ("/api/v1/organizations", {"name": "Matrix Org", "type": "advertiser"}), own(201)),
    ("GET", "/api/v1/organizations/{organization_id}"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}", None), tenant(200)),
    ("PUT", "/api/v1/organizations/{organization_id}"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}", {"description": "matrix"}), tenant(200)),
    ("DELETE", "/api/v1/organizations/{organization_id}"): (
        lambda c: (f"/api/v1/organizations/{c.target_org}", None), tenant(204)),
    ("GET", "/api/v1/users/me"): (lambda c: ("/api/v1/users/me", None), own(200)),
    ("POST", "/api/v1/profiles"): (_new_member, member_write(201)),
    ("POST", "/api/v1/profiles/upsert"): (_upsert_member, member_write(200)),
    ("PUT", "/api/v1/profiles/{user_id}"): (
        lambda c: (f"/api/v1/profiles/{c.member().user_id}", {"first_name": "Matrix"}), member_edit(200)),
    ("DELETE", "/api/v1/profiles/{user_id}"): (
        lambda c: (f"/api/v1/profiles/{c.member().user_id}", None), member_edit(204)),
    ("GET", "/api/v1/audit-log"): (lambda c: ("/api/v1/audit-log", None), own(200)),
}


def protected_routes() -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) -> action of every route that needs a caller."""
    from shared.http.openapi import openapi_path

    return {(route.method, openapi_path(route.path)): route.action
            for router in load_routers() for route in router.routes if route.action is not None}


def test_every_protected_route_is_in_the_matrix_and_every_action_in_the_policy() -> None:
    routes = protected_routes()
    assert sorted(routes) == sorted(CASES)
    assert {action for action in routes.values()} <= set(POLICY)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.role_name)
@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_cross_tenant_matrix(api, make_user, make_org, route, role, relation) -> None:
    method, _ = route
    home = make_org(HOME_TYPE[role])
    other = make_org(HOME_TYPE[role])
    caller = make_user(role, None if relation == "none" else home)
    ctx = Context(role, relation, home if relation == "own" else other, make_user)
    build, expect = CASES[route]
    path, body = build(ctx)
    response = api.request(method, path, json=body, headers=caller.headers)
    action = protected_routes()[route]
    assert response.status_code == expect(role, relation, action), response.text
