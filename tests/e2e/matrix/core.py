"""Matrix cases of organizations, profiles and the audit log."""

from __future__ import annotations

import uuid

from shared.auth.policy import POLICY
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Expect, Request, own, tenant


def member_write(success: int) -> Expect:
    """Creating a member: platform admins anywhere, managers in their own organization only."""
    def expect(role: Role, relation: str, action: str) -> int:
        if role.crosses_tenants or (role is not Role.USER and relation == "own"):
            return success
        return 403
    return expect


def member_edit(success: int) -> Expect:
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


def _new_member(ctx: Context) -> Request:
    user_id = uuid.uuid4()
    return "/api/v1/profiles", {"id": str(user_id), "organization_id": ctx.target_org, "role_id": 100000,
                                "email": f"{user_id}@matrix.test"}


def _upsert_member(ctx: Context) -> Request:
    path, body = _new_member(ctx)
    return path + "/upsert", body


CASES: dict[tuple[str, str], Case] = {
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
