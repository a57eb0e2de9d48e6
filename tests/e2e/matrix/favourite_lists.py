"""Matrix cases of favourite publisher lists: each list belongs to the target organization.

Routes without a list id name the target organization with `?organization_id=` (Admin and PlatformOwner
only; anyone else reaches only their own organization, 404 otherwise, as for a caller without one).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.matrix import Case, Context, Request, tenant

BASE = "/api/v1/favorite-publisher-lists"
ONE = BASE + "/{list_id}"
PUBLISHER = ONE + "/publishers/{domain}"
DOMAIN = "matrix-publisher.example"


def favourite_list(ctx: Context, organization_id: int | None = None) -> int:
    """A list of the target organization (or of `organization_id`) holding DOMAIN."""
    sql = ctx.fixture("sql")
    org = organization_id or ctx.target_org
    list_id = int(sql("INSERT INTO favorite_publisher_lists (organization_id, name) VALUES (:org, 'Matrix')"
                      " RETURNING list_id", org=org)[0]["list_id"])
    sql("INSERT INTO favorite_publisher_list_items (list_id, organization_id, publisher_domain, status)"
        " VALUES (:list, :org, :domain, 'contacted')", list=list_id, org=org, domain=DOMAIN)
    return list_id


def at_org(path: str, body: dict[str, object] | None = None) -> Callable[[Context], Request]:
    return lambda ctx: (f"{path}{'&' if '?' in path else '?'}organization_id={ctx.target_org}", body)


def existing(suffix: str = "", body: dict[str, object] | None = None) -> Callable[[Context], Request]:
    return lambda ctx: (f"{BASE}/{favourite_list(ctx)}{suffix}", body)


CASES: dict[tuple[str, str], Case] = {
    ("POST", BASE): (at_org(BASE, {"name": "Matrix"}), tenant(201)),
    ("GET", BASE): (at_org(BASE), tenant(200)),
    ("GET", BASE + "/search"): (at_org(f"{BASE}/search?domain={DOMAIN}"), tenant(200)),
    ("GET", ONE): (existing(), tenant(200)),
    ("PUT", ONE): (existing(body={"name": "Matrix renamed"}), tenant(200)),
    ("DELETE", ONE): (existing(), tenant(200)),
    ("POST", ONE + "/publishers"): (existing("/publishers", {"publisher_domain": "new.example"}), tenant(201)),
    ("GET", ONE + "/publishers"): (existing("/publishers?include_details=true"), tenant(200)),
    ("PUT", PUBLISHER): (existing(f"/publishers/{DOMAIN}", {"notes": "Matrix"}), tenant(200)),
    ("PATCH", PUBLISHER + "/status"): (existing(f"/publishers/{DOMAIN}/status", {"status": "accepted"}), tenant(200)),
    ("DELETE", PUBLISHER): (existing(f"/publishers/{DOMAIN}"), tenant(200)),
}
