"""Redeeming invitations against PostgreSQL: the use count is atomic, refusals and failures undo their writes."""

from __future__ import annotations

import threading

import pytest

from shared.db.uow import UnitOfWork
from shared.domain.errors import Conflict, DomainError
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.repositories.associations import AssociationRepository
from shared.repositories.invitations import InvitationRepository
from shared.schemas.invitations import InvitationCreate, InvitationUse
from shared.services import invitations as service

NO_CLIENT = service.Client(None, None)


def actor_of(user) -> Actor:
    return Actor(Principal(user.user_id, user.role, user.organization_id))


@pytest.fixture
def advertiser(make_org, make_user) -> Actor:
    return actor_of(make_user(Role.ADVERTISER_MANAGER, make_org("advertiser")))


def affiliate(make_org, make_user) -> Actor:
    return actor_of(make_user(Role.AFFILIATE_MANAGER, make_org("affiliate")))


def issue(actor: Actor, **fields) -> str:
    cmd = InvitationCreate(advertiser_org_id=actor.user.organization_id, name="Links", **fields)
    return service.create_invitation(cmd, uow=UnitOfWork(actor.scope), actor=actor).token


def redeem(token: str, actor: Actor):
    cmd = InvitationUse(invitation_token=token, affiliate_org_id=actor.user.organization_id)
    return service.use_invitation(cmd, NO_CLIENT, uow=UnitOfWork(TenantScope.everything()), actor=actor)


def test_concurrent_redemptions_claim_at_most_max_uses(env, advertiser, make_org, make_user, sql) -> None:
    token = issue(advertiser, max_uses=4)
    actors = [affiliate(make_org, make_user) for _ in range(10)]
    start = threading.Barrier(len(actors))
    outcomes: list[str] = []

    def attempt(actor: Actor) -> None:
        start.wait()
        try:
            redeem(token, actor)
            outcomes.append("used")
        except DomainError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Invitation usage limit has been reached"] * 6 + ["used"] * 4
    assert sql("SELECT current_uses FROM advertiser_association_invitations") == [{"current_uses": 4}]
    assert sql("SELECT count(*) AS n FROM organization_associations") == [{"n": 4}]


def test_a_refusal_after_the_claim_gives_the_use_back_and_logs_the_attempt(env, advertiser, make_org, make_user,
                                                                          sql, monkeypatch) -> None:
    token = issue(advertiser, max_uses=1)
    partner = affiliate(make_org, make_user)
    sql("INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, association_type)"
        " VALUES (:adv, :aff, 'invitation') RETURNING association_id",
        adv=advertiser.user.organization_id, aff=partner.user.organization_id)
    # Stand in for a race: the pre-check misses the live pair, so the unique index has to refuse it.
    monkeypatch.setattr(AssociationRepository, "live_between", lambda self, adv, aff: None)
    with pytest.raises(Conflict):
        redeem(token, partner)
    assert sql("SELECT current_uses FROM advertiser_association_invitations") == [{"current_uses": 0}]
    assert sql("SELECT success, error_message FROM invitation_usage_log") == [
        {"success": False, "error_message": "Association already exists between these organizations"}]
    assert sql("SELECT count(*) AS n FROM outbox WHERE event_type = 'invitation.used'") == [{"n": 0}]


def test_a_failed_redemption_leaves_no_association_no_use_and_no_event(env, advertiser, make_org, make_user, sql,
                                                                       monkeypatch) -> None:
    token = issue(advertiser)
    events_before = sql("SELECT count(*) AS n FROM outbox")

    def broken(self, attempt, **kwargs):
        raise RuntimeError("the log is unavailable")

    monkeypatch.setattr(InvitationRepository, "log_usage", broken)
    with pytest.raises(RuntimeError):
        redeem(token, affiliate(make_org, make_user))
    assert sql("SELECT current_uses FROM advertiser_association_invitations") == [{"current_uses": 0}]
    assert sql("SELECT count(*) AS n FROM organization_associations") == [{"n": 0}]
    assert sql("SELECT count(*) AS n FROM outbox") == events_before
