"""Matrix cases of invitation links: each invitation belongs to the target organization (its advertiser side)."""

from __future__ import annotations

import uuid

from shared.domain.invitations import hash_token, new_token
from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Request, own, tenant
from tests.e2e.matrix.partnerships import asking_side

BASE = "/api/v1/advertiser-association-invitations"
ONE = BASE + "/{invitation_id}"


def invitation(ctx: Context, advertiser_org: int | None = None) -> tuple[int, str]:
    """An invitation of the target organization (or of `advertiser_org`), and its token."""
    token = new_token()
    invitation_id = ctx.fixture("sql")(
        "INSERT INTO advertiser_association_invitations (advertiser_org_id, token_hash, name, created_by_user_id)"
        " VALUES (:org, :hash, 'Matrix', CAST(:creator AS UUID)) RETURNING invitation_id",
        org=advertiser_org or ctx.target_org, hash=hash_token(token), creator=str(uuid.uuid4()),
    )[0]["invitation_id"]
    return int(invitation_id), token


def existing(suffix: str = "", body: dict[str, object] | None = None):
    return lambda ctx: (f"{BASE}/{invitation(ctx)[0]}{suffix}", body)


def create(ctx: Context) -> Request:
    org = ctx.fixture("make_org")("advertiser") if ctx.role.crosses_tenants else ctx.target_org
    return BASE, {"advertiser_org_id": org, "name": "Matrix"}


def use(ctx: Context) -> Request:
    """Redeem another advertiser's link for the target organization (administrators: for a new affiliate org)."""
    make_org = ctx.fixture("make_org")
    _, token = invitation(ctx, make_org("advertiser"))
    affiliate = make_org("affiliate") if ctx.role.crosses_tenants else ctx.target_org
    return f"{BASE}/use", {"invitation_token": token, "affiliate_org_id": affiliate}


CASES: dict[tuple[str, str], Case] = {
    ("POST", BASE): (create, asking_side(201, Role.ADVERTISER_MANAGER)),
    ("GET", BASE): (lambda c: (BASE, None), own(200)),
    ("GET", ONE): (existing(), tenant(200)),
    ("PUT", ONE): (existing(body={"name": "Matrix renamed"}), tenant(200)),
    ("DELETE", ONE): (existing(), tenant(204)),
    ("GET", ONE + "/usage-history"): (existing("/usage-history"), tenant(200)),
    ("GET", ONE + "/link"): (existing("/link"), tenant(409)),
    ("POST", ONE + "/rotate-token"): (existing("/rotate-token"), tenant(200)),
    ("POST", BASE + "/use"): (use, asking_side(200, Role.AFFILIATE_MANAGER)),
}
