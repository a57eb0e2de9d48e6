"""Agency access: with `X-On-Behalf-Of`, an agency manager reaches exactly what its delegation grants.

For each of the 16 permissions, a delegation holding only it opens exactly the routes whose action
needs it (shared/domain/agency_delegations.py) and every other protected route answers 403 with an
on-behalf code; the check runs before any resource is read, so dummy ids tell the two apart. Then the
states of a delegation, other advertisers, other roles, real work on behalf and its audit trail.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache

import pytest

from shared.auth.on_behalf import REFUSAL_CODES
from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import Permission, required_permission
from shared.domain.principal import TenantScope
from shared.domain.roles import Role
from shared.http.openapi import load_routers
from shared.services.report_scope import report_scope

HEADER = "X-On-Behalf-Of"
VARIABLE = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
ORG_PARAMS = {"organization_id", "advertiser_org_id"}


@dataclass(frozen=True)
class Grant:
    agency_org: int
    advertiser_org: int
    manager: object  # tests.conftest.User
    delegation_id: int

    def headers(self, advertiser: int | None = None) -> dict[str, str]:
        return {**self.manager.headers, HEADER: str(advertiser or self.advertiser_org)}


@cache
def protected_routes() -> list[tuple[str, str, str]]:
    """(method, path template, action) of every route that needs a caller."""
    return [(route.method, route.path, route.action) for router in load_routers() for route in router.routes
            if route.action is not None]


def concrete(path: str, grant: Grant) -> str:
    """The route with its variables filled: our organizations where it names one, dummy ids elsewhere."""
    def fill(match: re.Match[str]) -> str:
        name, converter = match["name"], match["converter"]
        if name in ORG_PARAMS:
            return str(grant.advertiser_org)
        if name == "agency_org_id":
            return str(grant.agency_org)
        if converter == "uuid":
            return str(uuid.uuid4())
        if converter == "any":
            return match["args"].split(",")[0].strip()
        return "1" if converter == "int" else "everflow"
    return VARIABLE.sub(fill, path)


def delegate(sql, make_org, make_user, permissions: list[str], status: str = "active") -> Grant:
    agency, advertiser = make_org("agency"), make_org("advertiser")
    rows = sql("INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, status)"
               " VALUES (:agency, :advertiser, CAST(:permissions AS TEXT[]), :status) RETURNING delegation_id",
               agency=agency, advertiser=advertiser, permissions=permissions, status=status)
    return Grant(agency, advertiser, make_user(Role.AGENCY_MANAGER, agency), int(rows[0]["delegation_id"]))


def refusal(response) -> str | None:
    """The on-behalf refusal code of a response, if it is one."""
    if response.status_code not in (400, 403):
        return None
    code = response.json()["error"]["code"]
    return code if code in REFUSAL_CODES else None


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_a_delegation_opens_exactly_the_routes_of_its_permission(api, sql, make_org, make_user,
                                                                 permission) -> None:
    grant = delegate(sql, make_org, make_user, [permission.value])
    reached, refused = [], []
    for method, template, action in protected_routes():
        for export in ((False, True) if action == "reports.read" else (False,)):
            path = concrete(template, grant) + ("?format=csv" if export else "")
            response = api.request(method, path, headers=grant.headers())
            expected = required_permission(action, export=export) is permission
            code = refusal(response)
            label = f"{method} {path} ({action}): {response.status_code} {response.text[:200]}"
            if expected:
                assert code is None and response.status_code != 401, label
                reached.append(label)
            else:
                assert response.status_code == 403 and code is not None, label
                refused.append(label)
    assert reached, f"{permission} opens no route"
    assert refused


@pytest.mark.parametrize("status", ["pending", "suspended", "revoked", "expired"])
def test_a_delegation_that_is_not_active_opens_nothing(api, sql, make_org, make_user, status) -> None:
    grant = delegate(sql, make_org, make_user, [p.value for p in Permission],
                     status="active" if status == "expired" else status)
    if status == "expired":  # still stored active: expired at read time, before the job runs
        sql("UPDATE agency_delegations SET created_at = now() - interval '2 days',"
            " expires_at = now() - interval '1 minute' WHERE delegation_id = :id", id=grant.delegation_id)
    response = api.get(f"/api/v1/organizations/{grant.advertiser_org}/campaigns", headers=grant.headers())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "delegation_inactive"


def test_another_advertiser_is_out_of_reach(api, sql, make_org, make_user) -> None:
    grant = delegate(sql, make_org, make_user, [p.value for p in Permission])
    other = make_org("advertiser")
    response = api.get(f"/api/v1/organizations/{other}/campaigns", headers=grant.headers(other))
    assert response.status_code == 403 and response.json()["error"]["code"] == "delegation_inactive"
    # with a valid header, the effective scope is the client alone: another organization's data stays hidden
    assert api.get(f"/api/v1/organizations/{other}/campaigns", headers=grant.headers()).status_code == 404
    assert api.get(f"/api/v1/organizations/{grant.agency_org}", headers=grant.headers()).status_code == 404


def test_only_agency_managers_act_on_behalf_and_the_header_must_be_an_id(api, sql, make_org, make_user) -> None:
    grant = delegate(sql, make_org, make_user, [p.value for p in Permission])
    path = f"/api/v1/organizations/{grant.advertiser_org}/campaigns"
    for role, org in ((Role.ADVERTISER_MANAGER, make_org("advertiser")), (Role.ADMIN, None),
                      (Role.USER, grant.agency_org)):
        user = make_user(role, org)
        response = api.get(path, headers={**user.headers, HEADER: str(grant.advertiser_org)})
        assert response.status_code == 403 and response.json()["error"]["code"] == "on_behalf_not_allowed"
    for bad in ("", "abc", "0", "-3", "1.5", "99999999999999999999"):
        response = api.get(path, headers={**grant.manager.headers, HEADER: bad})
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid_on_behalf_of"
    not_delegable = api.get("/api/v1/users/me", headers=grant.headers())
    assert not_delegable.status_code == 403 and not_delegable.json()["error"]["code"] == "action_not_delegable"
    assert api.get("/api/v1/audit-log", headers=grant.headers()).json()["error"]["code"] == "action_not_delegable"
    assert api.get(path, headers={HEADER: str(grant.advertiser_org)}).status_code == 401


def test_work_on_behalf_is_done_in_the_advertisers_name_and_audited_as_the_agencys(api, sql, make_org,
                                                                                    make_user) -> None:
    grant = delegate(sql, make_org, make_user, ["campaign_create", "campaign_view", "campaign_delete"])
    advertiser_id = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Client brand')"
                        " RETURNING advertiser_id", org=grant.advertiser_org)[0]["advertiser_id"]
    created = api.post("/api/v1/campaigns", json={"organization_id": grant.advertiser_org,
                                                  "advertiser_id": advertiser_id, "name": "Agency launch"},
                       headers=grant.headers())
    assert created.status_code == 201, created.text
    campaign_id = created.json()["campaign_id"]
    assert api.get(f"/api/v1/campaigns/{campaign_id}", headers=grant.headers()).status_code == 200
    renamed = api.put(f"/api/v1/campaigns/{campaign_id}", json={"name": "Renamed"}, headers=grant.headers())
    assert renamed.status_code == 403 and renamed.json()["error"]["code"] == "permission_not_delegated"
    assert api.delete(f"/api/v1/campaigns/{campaign_id}", headers=grant.headers()).status_code == 204

    entries = sql("SELECT actor_id, actor_role_id, organization_id, on_behalf_of_organization_id,"
                  " acting_organization_id, delegation_id, action FROM audit_log WHERE entity_type = 'campaign'"
                  " ORDER BY audit_id")
    assert entries[0]["action"] == "campaign.create"
    for entry in entries:
        assert entry["actor_id"] == grant.manager.user_id and entry["actor_role_id"] == int(Role.AGENCY_MANAGER)
        assert entry["organization_id"] == grant.advertiser_org == entry["on_behalf_of_organization_id"]
        assert entry["acting_organization_id"] == grant.agency_org
        assert entry["delegation_id"] == grant.delegation_id

    client = make_user(Role.ADVERTISER_MANAGER, grant.advertiser_org)
    seen_by_client = api.get("/api/v1/audit-log?entity_type=campaign", headers=client.headers).json()
    assert seen_by_client and all(e["acting_organization_id"] == grant.agency_org for e in seen_by_client)
    assert seen_by_client[-1]["delegation_id"] == grant.delegation_id
    assert seen_by_client[-1]["on_behalf_of_organization_id"] == grant.advertiser_org
    seen_by_agency = api.get("/api/v1/audit-log?entity_type=campaign", headers=grant.manager.headers).json()
    assert [e["audit_id"] for e in seen_by_agency] == [e["audit_id"] for e in seen_by_client]


def test_revoking_takes_effect_on_the_next_request(api, sql, make_org, make_user) -> None:
    grant = delegate(sql, make_org, make_user, ["billing_view"])
    client = make_user(Role.ADVERTISER_MANAGER, grant.advertiser_org)
    path = "/api/v1/billing/config"
    assert refusal(api.get(path, headers=grant.headers())) is None
    revoked = api.post(f"/api/v1/agency-delegations/{grant.delegation_id}/revoke", headers=client.headers)
    assert revoked.status_code == 200
    assert refusal(api.get(path, headers=grant.headers())) == "delegation_inactive"


def _mapped_advertiser(sql, organization_id: int, provider_id: str) -> None:
    advertiser = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Mapped') RETURNING advertiser_id",
                     org=organization_id)[0]["advertiser_id"]
    sql("INSERT INTO advertiser_provider_mappings (advertiser_id, organization_id, provider_advertiser_id, sync_status)"
        " VALUES (:adv, :org, :pid, 'synced')", adv=advertiser, org=organization_id, pid=provider_id)


def test_agency_reports_cover_clients_that_granted_analytics_view(sql, make_org, make_user) -> None:
    viewing = delegate(sql, make_org, make_user, ["analytics_view"])
    _mapped_advertiser(sql, viewing.advertiser_org, "7001")
    billing_only = make_org("advertiser")
    _mapped_advertiser(sql, billing_only, "7002")
    sql("INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, status)"
        " VALUES (:agency, :advertiser, ARRAY['billing_view'], 'active')", agency=viewing.agency_org,
        advertiser=billing_only)
    suspended = make_org("advertiser")
    _mapped_advertiser(sql, suspended, "7003")
    sql("INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, status)"
        " VALUES (:agency, :advertiser, ARRAY['analytics_view'], 'suspended')", agency=viewing.agency_org,
        advertiser=suspended)
    with UnitOfWork(TenantScope.only(viewing.agency_org)) as uow:
        scope = report_scope(viewing.agency_org, uow=uow)
    assert scope.filter.advertisers == frozenset({7001})
    assert scope.advertiser(7001) is not None and scope.advertiser(7002) is None


def test_the_permission_table_is_the_documented_one() -> None:
    """The table the kit enforces, written out once more as docs/decisions.md states it."""
    documented = {
        "campaign_create": {"campaigns.create"},
        "campaign_manage": {"campaigns.update", "tracking_links.create", "tracking_links.update"},
        "campaign_view": {"campaigns.read", "tracking_links.read"},
        "campaign_delete": {"campaigns.archive"},
        "association_invite": {"associations.create"},
        "association_manage": {"associations.decide"},
        "association_view": {"associations.read", "associations.visible"},
        "invitation_create": {"invitations.create"},
        "invitation_manage": {"invitations.manage"},
        "invitation_view": {"invitations.read"},
        "analytics_view": {"dashboards.read", "reports.read", "activities.read"},
        "analytics_export": set(),  # reports.read with format=csv
        "billing_view": {"billing.read"},
        "billing_manage": {"billing.manage"},
        "organization_view": {"organizations.list", "organizations.read", "advertisers.read"},
        "organization_manage": {"organizations.update", "advertisers.create", "advertisers.update",
                                "advertisers.archive"},
    }
    actions = {action for _, _, action in protected_routes()}
    for permission in Permission:
        granted = {a for a in actions if required_permission(a) is permission}
        assert granted == documented[permission.value], permission
    assert required_permission("reports.read", export=True) is Permission.ANALYTICS_EXPORT
    assert required_permission("campaigns.read", export=True) is Permission.CAMPAIGN_VIEW


def test_archiving_through_put_needs_campaign_delete_too(api, sql, make_org, make_user) -> None:
    grant = delegate(sql, make_org, make_user, ["campaign_manage"])
    advertiser_id = sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Brand')"
                        " RETURNING advertiser_id", org=grant.advertiser_org)[0]["advertiser_id"]
    campaign_id = sql("INSERT INTO campaigns (organization_id, advertiser_id, name, status) VALUES (:org, :adv,"
                      " 'Draft', 'draft') RETURNING campaign_id", org=grant.advertiser_org, adv=advertiser_id)[0][
        "campaign_id"]
    path = f"/api/v1/campaigns/{campaign_id}"
    archived = api.put(path, json={"status": "archived"}, headers=grant.headers())
    assert archived.status_code == 403 and archived.json()["error"]["code"] == "permission_not_delegated"
    assert api.put(path, json={"description": "Agency copy"}, headers=grant.headers()).status_code == 200
    sql("UPDATE agency_delegations SET permissions = ARRAY['campaign_manage', 'campaign_delete']")
    assert api.put(path, json={"status": "archived"}, headers=grant.headers()).json()["status"] == "archived"
