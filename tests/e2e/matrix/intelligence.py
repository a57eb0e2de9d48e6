"""Matrix cases of the intelligence data: global records, so no organization relation changes the answer.

Every manager role reads (200 wherever it belongs, or with no organization); only Admin writes (201).
Records to read are written first through the API by an administrator.
"""

from __future__ import annotations

from typing import Any

from shared.domain.roles import Role
from tests.e2e.matrix import Case, Context, Request, own

BASE = "/api/v1/analytics"


def _saved(ctx: Context, kind: str, domain: str) -> dict[str, Any]:
    admin = ctx.fixture("make_user")(Role.ADMIN)
    response = ctx.fixture("api").post(f"{BASE}/{kind}", json={"domain": domain, "data": {}}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def _advertiser(ctx: Context) -> Request:
    return f"{BASE}/advertisers/{_saved(ctx, 'advertisers', 'matrix-brand.example')['advertiser']['id']}", None


def _publisher(ctx: Context) -> Request:
    return f"{BASE}/affiliates/{_saved(ctx, 'affiliates', 'matrix-blog.example')['publisher']['id']}", None


def _publisher_domain(ctx: Context) -> Request:
    _saved(ctx, "affiliates", "matrix-blog.example")
    return f"{BASE}/affiliates/domain/matrix-blog.example", None


CASES: dict[tuple[str, str], Case] = {
    ("GET", BASE + "/autocomplete"): (lambda ctx: (f"{BASE}/autocomplete?q=matrix", None), own(200)),
    ("GET", BASE + "/advertisers/{record_id}"): (_advertiser, own(200)),
    ("POST", BASE + "/advertisers"): (
        lambda ctx: (f"{BASE}/advertisers", {"domain": "matrix-brand.example", "data": {}}), own(201)),
    ("GET", BASE + "/affiliates/{record_id}"): (_publisher, own(200)),
    ("GET", BASE + "/affiliates/domain/{domain}"): (_publisher_domain, own(200)),
    ("POST", BASE + "/affiliates"): (
        lambda ctx: (f"{BASE}/affiliates", {"domain": "matrix-blog.example", "data": {}}), own(201)),
    ("GET", "/api/v1/affiliates/search"): (lambda ctx: ("/api/v1/affiliates/search?country=us", None), own(200)),
    ("POST", "/api/v1/affiliates/search"): (lambda ctx: ("/api/v1/affiliates/search", {"country": "us"}), own(200)),
}
