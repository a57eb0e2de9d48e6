"""Outreach tables under row-level security alone, and the keys that tie children to their parent's tenant."""

from __future__ import annotations

import pytest
from pg8000.exceptions import DatabaseError

from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope

TABLES = ("favorite_publisher_lists", "favorite_publisher_list_items", "publisher_conversations", "publisher_messages")


@pytest.fixture
def two_tenants(make_org, sql) -> tuple[int, int]:
    """Two organizations, each with a list holding a publisher and a conversation with a message."""
    orgs = make_org("advertiser"), make_org("affiliate")
    for org in orgs:
        list_id = sql("INSERT INTO favorite_publisher_lists (organization_id, name) VALUES (:org, 'L')"
                      " RETURNING list_id", org=org)[0]["list_id"]
        sql("INSERT INTO favorite_publisher_list_items (list_id, organization_id, publisher_domain)"
            " VALUES (:list, :org, 'pub.example')", list=list_id, org=org)
        conversation = sql("INSERT INTO publisher_conversations (organization_id, publisher_domain, subject)"
                           " VALUES (:org, 'pub.example', 'S') RETURNING conversation_id", org=org)[0]
        sql("INSERT INTO publisher_messages (conversation_id, organization_id, sender_type, content)"
            " VALUES (:id, :org, 'organization', 'Hi')", id=conversation["conversation_id"], org=org)
    return orgs


def test_rls_alone_shows_and_changes_only_the_tenants_rows(env, two_tenants, sql) -> None:
    mine, theirs = two_tenants
    with UnitOfWork(TenantScope.only(mine)) as uow:
        seen = {t: uow.session.fetch_all(f"SELECT DISTINCT organization_id FROM {t}") for t in TABLES}  # no WHERE
        touched = uow.session.execute("UPDATE publisher_conversations SET status = 'closed'")
        removed = uow.session.execute("DELETE FROM favorite_publisher_list_items")
        uow.commit()
    assert seen == {t: [{"organization_id": mine}] for t in TABLES}
    assert (touched, removed) == (1, 1)
    assert sql("SELECT status FROM publisher_conversations WHERE organization_id = :o", o=theirs) == [
        {"status": "active"}]
    assert sql("SELECT count(*) AS n FROM favorite_publisher_list_items WHERE organization_id = :o", o=theirs) == [
        {"n": 1}]


def test_messages_are_never_rewritten_by_the_application(env, two_tenants) -> None:
    mine, _ = two_tenants
    with pytest.raises(DatabaseError) as error, UnitOfWork(TenantScope.only(mine)) as uow:
        uow.session.execute("UPDATE publisher_messages SET content = 'Edited'")
    assert error.value.args[0]["C"] == "42501"  # insufficient_privilege


def test_a_child_cannot_hang_under_another_tenants_parent(env, two_tenants, sql) -> None:
    mine, theirs = two_tenants
    their_list = sql("SELECT list_id FROM favorite_publisher_lists WHERE organization_id = :o", o=theirs)[0]["list_id"]
    with pytest.raises(DatabaseError) as error:
        sql("INSERT INTO favorite_publisher_list_items (list_id, organization_id, publisher_domain)"
            " VALUES (:list, :org, 'other.example')", list=their_list, org=mine)
    assert error.value.args[0]["C"] == "23503"  # foreign_key_violation: (list_id, organization_id)


def test_closed_and_archived_conversations_never_block_but_two_active_ones_clash(env, two_tenants, sql) -> None:
    mine, _ = two_tenants
    insert = ("INSERT INTO publisher_conversations (organization_id, publisher_domain, subject, status)"
              " VALUES (:org, 'pub.example', 'S', :status)")
    for status in ("closed", "closed", "archived", "archived"):
        sql(insert, org=mine, status=status)
    with pytest.raises(DatabaseError) as error:
        sql(insert, org=mine, status="active")
    assert error.value.args[0]["C"] == "23505"
