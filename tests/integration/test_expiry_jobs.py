"""The expiry job against PostgreSQL: due invitations and delegations expire once, in batches, audited as system."""

from __future__ import annotations

import os
import threading

import pytest

from functions.registry import Trigger, by_entry_point
from shared.domain.roles import Role
from shared.services.expiry import expire_lapsed


@pytest.fixture
def creator(make_org, make_user):
    return make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))


def invitation(sql, creator, expires: str | None, status: str = "active") -> int:
    rows = sql("INSERT INTO advertiser_association_invitations (advertiser_org_id, token_hash, name,"
               " created_by_user_id, status, expires_at) VALUES (:org, :hash, 'Link', CAST(:user AS UUID), :status,"
               f" {expires or 'NULL'}) RETURNING invitation_id",
               org=creator.organization_id, hash=os.urandom(32), user=str(creator.user_id), status=status)
    return int(rows[0]["invitation_id"])


def delegation(sql, make_org, expires: str | None, status: str = "active") -> int:
    rows = sql("INSERT INTO agency_delegations (agency_org_id, advertiser_org_id, permissions, status, created_at,"
               " expires_at) VALUES (:agency, :advertiser, ARRAY['campaign_view'], :status,"
               f" now() - interval '30 days', {expires or 'NULL'}) RETURNING delegation_id",
               agency=make_org("agency"), advertiser=make_org("advertiser"), status=status)
    return int(rows[0]["delegation_id"])


def statuses(sql, table: str, key: str) -> dict[int, str]:
    return {r[key]: r["status"] for r in sql(f"SELECT {key}, status FROM {table}")}


PAST, FUTURE = "now() - interval '1 minute'", "now() + interval '1 day'"


def test_due_rows_expire_and_nothing_else_changes(sql, creator, make_org) -> None:
    due_invitation = invitation(sql, creator, PAST)
    kept_invitations = [invitation(sql, creator, FUTURE), invitation(sql, creator, None),
                        invitation(sql, creator, PAST, status="disabled")]
    due = [delegation(sql, make_org, PAST), delegation(sql, make_org, PAST, status="pending")]
    kept = [delegation(sql, make_org, FUTURE), delegation(sql, make_org, None),
            delegation(sql, make_org, PAST, status="suspended"), delegation(sql, make_org, PAST, status="revoked")]

    report = expire_lapsed()

    assert (report.invitations, report.delegations) == (1, 2)
    invitations = statuses(sql, "advertiser_association_invitations", "invitation_id")
    assert invitations[due_invitation] == "expired"
    assert [invitations[i] for i in kept_invitations] == ["active", "active", "disabled"]
    delegations = statuses(sql, "agency_delegations", "delegation_id")
    assert [delegations[d] for d in due] == ["expired", "expired"]
    assert [delegations[d] for d in kept] == ["active", "active", "suspended", "revoked"]

    audit = sql("SELECT actor_id, action, entity_id, changes FROM audit_log ORDER BY audit_id")
    assert sorted((a["action"], a["entity_id"]) for a in audit) == sorted(
        [("invitation.expire", str(due_invitation))] + [("agency_delegation.expire", str(d)) for d in due])
    assert all(a["actor_id"] is None for a in audit)  # the system acted
    pending_entry = next(a for a in audit if a["entity_id"] == str(due[1]) and a["action"].startswith("agency"))
    assert pending_entry["changes"]["status"] == {"before": "pending", "after": "expired"}
    events = sql("SELECT event_type FROM outbox ORDER BY 1")
    assert [e["event_type"] for e in events] == ["agency_delegation.expired"] * 2 + ["invitation.expired"]


def test_a_second_run_changes_nothing(sql, creator, make_org) -> None:
    invitation(sql, creator, PAST)
    delegation(sql, make_org, PAST)
    assert expire_lapsed().invitations == 1
    again = expire_lapsed()
    assert (again.invitations, again.delegations) == (0, 0)
    assert len(sql("SELECT 1 FROM audit_log")) == 2


def test_batches_drain_every_due_row(sql, creator, make_org) -> None:
    for _ in range(7):
        invitation(sql, creator, PAST)
        delegation(sql, make_org, PAST)
    report = expire_lapsed(batch_size=3)
    assert (report.invitations, report.delegations) == (7, 7)
    assert set(statuses(sql, "agency_delegations", "delegation_id").values()) == {"expired"}
    limited = expire_lapsed(batch_size=3, max_batches=1)
    assert (limited.invitations, limited.delegations) == (0, 0)


def test_concurrent_runs_expire_each_row_once(sql, creator, make_org) -> None:
    for _ in range(20):
        invitation(sql, creator, PAST)
        delegation(sql, make_org, PAST)
    reports = []
    runs = [threading.Thread(target=lambda: reports.append(expire_lapsed(batch_size=4))) for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sum(r.invitations for r in reports) == 20
    assert sum(r.delegations for r in reports) == 20
    assert len(sql("SELECT 1 FROM audit_log")) == 40


def test_the_job_is_scheduled_every_fifteen_minutes() -> None:
    spec = by_entry_point("expiry")
    assert spec.trigger is Trigger.SCHEDULE and spec.schedule == "*/15 * * * *"
    assert spec.local_every_s is not None and spec.max_instances == 1
