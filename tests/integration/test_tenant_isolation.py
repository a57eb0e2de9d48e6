"""Row-level security alone keeps tenants apart, even for SQL that forgot its tenant filter."""

from __future__ import annotations

import uuid

import pytest
from pg8000.exceptions import DatabaseError

from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope


def test_rls_alone_blocks_a_cross_tenant_read(env, make_org) -> None:
    mine, theirs = make_org("advertiser"), make_org("affiliate")
    with UnitOfWork(TenantScope.only(mine)) as uow:
        rows = uow.session.fetch_all("SELECT organization_id FROM organizations")  # no WHERE at all
        direct = uow.session.fetch_all("SELECT name FROM organizations WHERE organization_id = :id", id=theirs)
    assert [r["organization_id"] for r in rows] == [mine]
    assert direct == []


def test_rls_alone_blocks_cross_tenant_writes(env, make_org, sql) -> None:
    mine, theirs = make_org("advertiser"), make_org("affiliate", name="Untouched")
    with UnitOfWork(TenantScope.only(mine)) as uow:
        updated = uow.session.execute("UPDATE organizations SET name = 'Hijacked'")
        deleted = uow.session.execute("DELETE FROM affiliate_extra_info")
        uow.commit()
    assert (updated, deleted) == (1, 0)
    assert sql("SELECT name FROM organizations WHERE organization_id = :id", id=theirs) == [{"name": "Untouched"}]


def test_rls_refuses_to_insert_rows_for_another_tenant(env, make_org) -> None:
    mine, theirs = make_org("advertiser"), make_org("advertiser")
    with pytest.raises(DatabaseError) as error, UnitOfWork(TenantScope.only(mine)) as uow:
        uow.session.execute("INSERT INTO advertiser_extra_info (organization_id, website) VALUES (:id, 'x')",
                            id=theirs)
    assert error.value.args[0]["C"] == "42501"  # insufficient_privilege: violates row-level security


def test_an_empty_scope_sees_no_tenant_rows_but_its_own_profile(env, make_org, make_user) -> None:
    make_org("advertiser")
    user = make_user()
    with UnitOfWork(TenantScope.only(user_id=user.user_id)) as uow:
        assert uow.session.fetch_all("SELECT organization_id FROM organizations") == []
        profiles = uow.session.fetch_all("SELECT id FROM profiles")
    assert [str(p["id"]) for p in profiles] == [str(user.user_id)]


def test_the_cross_tenant_scope_sees_everything(env, make_org) -> None:
    ids = {make_org("advertiser"), make_org("agency")}
    with UnitOfWork(TenantScope.everything()) as uow:
        rows = uow.session.fetch_all("SELECT organization_id FROM organizations")
    assert {r["organization_id"] for r in rows} == ids


def test_the_application_role_cannot_rewrite_the_audit_log(env, make_org) -> None:
    org = make_org("advertiser")
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.session.execute("INSERT INTO audit_log (organization_id, action, entity_type, entity_id)"
                            " VALUES (:org, 'x.test', 'organization', :eid)", org=org, eid=str(org))
        uow.commit()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError), UnitOfWork(TenantScope.everything()) as uow:
            uow.session.execute(statement)


def test_scope_settings_do_not_leak_to_the_next_transaction(env, make_org) -> None:
    org = make_org("advertiser")
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.session.fetch_all("SELECT 1")
    with UnitOfWork(TenantScope.only(user_id=uuid.uuid4())) as uow:
        assert uow.session.fetch_all("SELECT organization_id FROM organizations WHERE organization_id = :id",
                                     id=org) == []
