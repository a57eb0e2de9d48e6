"""The fuzzer's checks fail on crafted bad answers: a 5xx, an undocumented status, a body off its schema, a leak,
a 2xx for another tenant's object."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest
import requests
import schemathesis

from shared.auth.tokens import issue
from shared.domain.roles import Role
from shared.http.openapi import openapi_document
from tests.fuzz.real_ids import Draw, RealIds, source
from tests.fuzz.runner import FOREIGN_CHECK, RoleTally, all_checks, check_foreign_access, check_response
from tests.fuzz.tenancy import LEAK_CHECK, TenantMap, organization_ids

SECRET = "unit-test-secret-with-at-least-32-bytes!"
MANAGER, ADMIN = uuid.uuid4(), uuid.uuid4()
OWN, PARTNER, STRANGER = 2, 3, 9
BODY = {"type": "object", "required": ["organization_id"], "properties": {"organization_id": {"type": "integer"}}}
DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "crafted", "version": "1"},
    "paths": {
        "/api/v1/things": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": BODY}}},
            "500": {"description": "documented, still a server error"},
        }}},
        "/api/v1/organizations": {"post": {"responses": {
            "201": {"description": "created", "content": {"application/json": {"schema": BODY}}},
        }}},
    },
}


class Database:
    """What the cross-tenant check reads: a manager of OWN partnered with PARTNER, and an Admin."""

    def __init__(self) -> None:
        self.related = {PARTNER}
        self.reads = 0

    def fetch(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        self.reads += 1
        if params["user_id"] == str(ADMIN):
            return [{"organization_id": 1, "role_id": int(Role.ADMIN), "own": True}]
        own = [{"organization_id": OWN, "role_id": int(Role.ADVERTISER_MANAGER), "own": True}]
        return own + [{"organization_id": org, "role_id": None, "own": False} for org in sorted(self.related)]


@pytest.fixture
def database() -> Database:
    return Database()


def answer(database: Database, status: int, body: Any, *, user: uuid.UUID = MANAGER,
           label: str = "GET /api/v1/things") -> RoleTally:
    """Run every fuzz check on one crafted answer to `label`, as `user`; the tally of what failed."""
    method, path = label.split(" ")
    operation = schemathesis.openapi.from_dict(DOCUMENT)[path][method]
    request = requests.Request(method, f"http://127.0.0.1{path}",
                               headers={"Authorization": f"Bearer {issue(user, SECRET)}"}).prepare()
    response = schemathesis.Response(status_code=status, headers={"content-type": ["application/json"]},
                                     content=json.dumps(body).encode(), request=request, elapsed=0.01, verify=True)
    tally = RoleTally("crafted")
    check_response(operation.Case(), response, all_checks(TenantMap(database.fetch)), tally)
    return tally


def test_a_conforming_answer_about_the_callers_own_or_partner_organization_passes(database: Database) -> None:
    assert not answer(database, 200, {"organization_id": OWN}).failures
    assert not answer(database, 200, {"organization_id": PARTNER}).failures


def test_a_server_error_fails(database: Database) -> None:
    assert answer(database, 500, {"error": {}}).failures["not_a_server_error"] == 1


def test_an_undocumented_status_fails(database: Database) -> None:
    assert answer(database, 418, {"organization_id": OWN}).failures["status_code_conformance"] == 1


def test_a_body_off_its_schema_fails(database: Database) -> None:
    assert answer(database, 200, {"organization_id": "two"}).failures["response_schema_conformance"] == 1


def test_an_unrelated_organization_anywhere_in_the_body_is_a_leak(database: Database) -> None:
    tally = answer(database, 200, {"organization_id": OWN, "items": [{"organization": {"organization_id": STRANGER}}]})
    assert tally.failures == {LEAK_CHECK: 1}
    assert f"[{STRANGER}]" in tally.examples[0]


def test_a_relation_made_during_the_run_is_read_before_calling_it_a_leak(database: Database) -> None:
    tenants = TenantMap(database.fetch)
    assert tenants.allowed(MANAGER) == {OWN, PARTNER}
    database.related.add(STRANGER)  # e.g. the fuzzer itself created a partnership meanwhile
    assert tenants.unrelated(MANAGER, {STRANGER}) == set()
    assert (database.reads, tenants.examined) == (2, 1)


def test_global_roles_see_every_organization(database: Database) -> None:
    assert not answer(database, 200, {"organization_id": STRANGER}, user=ADMIN).failures


def test_the_organization_a_request_created_is_the_callers_to_see(database: Database) -> None:
    assert not answer(database, 201, {"organization_id": STRANGER}, label="POST /api/v1/organizations").failures


def test_a_414_from_the_http_server_is_counted_not_checked(database: Database) -> None:
    tally = answer(database, 414, "request line too long")
    assert (tally.refused_by_server, tally.failures) == (1, {})


def test_organization_ids_are_found_in_every_field_that_holds_one() -> None:
    document = [{"advertiser_org_id": 4, "affiliate_org_id": 5, "agency_org_id": 6, "flag": True,
                 "allowed_affiliate_org_ids": [7, 8], "acting_organization_id": None,
                 "advertiser_organization": {"organization_id": 10, "name": "x"}, "organization_id": False}]
    assert sorted(organization_ids(document)) == [4, 5, 6, 7, 8, 10]


def test_a_2xx_for_another_tenants_object_fails_and_a_refusal_passes(database: Database) -> None:
    refused, served = answer_on_real_ids(database, 404, {STRANGER}), answer_on_real_ids(database, 200, {STRANGER})
    assert (refused.failures, refused.real_ids, refused.foreign_ids) == ({}, 1, 1)
    assert (served.failures, served.real_2xx) == ({FOREIGN_CHECK: 1}, 1)


def test_a_2xx_for_an_object_of_a_related_organization_passes(database: Database) -> None:
    assert not answer_on_real_ids(database, 200, frozenset()).failures
    database.related.add(STRANGER)  # related since the draw: re-read before it counts
    assert not answer_on_real_ids(database, 200, {STRANGER}).failures


def answer_on_real_ids(database: Database, status: int, foreign_owners: set[int] | frozenset[int]) -> RoleTally:
    """The foreign-access check on an answer to a request whose path named objects owned by `foreign_owners`."""
    operation = schemathesis.openapi.from_dict(DOCUMENT)["/api/v1/things"]["get"]
    response = schemathesis.Response(status_code=status, headers={}, content=b"", request=requests.Request(
        "GET", "http://127.0.0.1/api/v1/things").prepare(), elapsed=0.01, verify=True)
    tally = RoleTally("crafted")
    check_foreign_access(operation.Case(), response, Draw({}, frozenset(foreign_owners)), MANAGER,
                         TenantMap(database.fetch), tally)
    return tally


def test_real_ids_alternate_related_and_foreign_objects_and_spare_the_demo_accounts(database: Database) -> None:
    rows = [{"value": OWN, "organizations": [OWN]}, {"value": PARTNER, "organizations": [PARTNER]},
            {"value": STRANGER, "organizations": [STRANGER]}]
    tenants = TenantMap(lambda statement, **params: rows if "FROM organizations" in statement
                        else database.fetch(statement, **params))
    path = "/api/v1/organizations/{organization_id}"
    reads = RealIds(tenants, MANAGER, ("GET", path), ["organization_id"], {"organization_id": {OWN}})
    foreign = reads.draw(random.Random(1), foreign=True)
    assert (foreign.parameters, foreign.foreign_owners) == ({"organization_id": STRANGER}, {STRANGER})
    assert reads.draw(random.Random(1), foreign=False).parameters["organization_id"] in {OWN, PARTNER}
    deletes = RealIds(tenants, MANAGER, ("DELETE", path), ["organization_id"], {"organization_id": {OWN}})
    assert {deletes.draw(random.Random(seed), foreign=False).parameters["organization_id"]
            for seed in range(20)} == {PARTNER}


def test_every_id_parameter_of_the_served_document_reads_existing_objects() -> None:
    names = {(path, parameter["name"]) for path, item in openapi_document()["paths"].items()
             for operation in item.values() for parameter in operation.get("parameters", [])
             if parameter.get("in") == "path" and parameter["name"].endswith("_id")}
    assert names and all(source(path, name) for path, name in names)


def test_a_user_without_a_profile_yet_is_a_documented_404() -> None:
    """Found by real ids: Admin deleted a demo user's profile, whose /users/me then answered an undocumented 404."""
    assert "404" in openapi_document()["paths"]["/api/v1/users/me"]["get"]["responses"]
