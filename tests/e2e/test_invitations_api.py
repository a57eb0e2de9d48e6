"""Invitation links over HTTP: a token shown once, redemption rules with clear statuses, a logged history."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.roles import Role
from tests.e2e.partners import ASSOCIATIONS, INVITATIONS, Partners, add_campaign, count, new_partners, new_side

PUBLIC = "/api/v1/public/invitations"


@pytest.fixture
def partners(make_org, make_user) -> Partners:
    return new_partners(make_org, make_user)


def create(api, partners: Partners, **extra) -> dict:
    body = {"advertiser_org_id": partners.advertiser.org, "name": "Spring partners", **extra}
    response = api.post(INVITATIONS, json=body, headers=partners.advertiser.manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def use(api, token: str, side, **headers):
    return api.post(f"{INVITATIONS}/use", json={"invitation_token": token, "affiliate_org_id": side.org},
                    headers={**side.manager.headers, **headers})


def test_the_token_is_shown_once_and_only_its_hash_is_stored(api, partners, sql) -> None:
    created = create(api, partners)
    token = created["invitation_token"]
    assert len(token) == 64
    assert created["invitation_link"] == f"{api.base_url}/invitations/{token}"
    stored = sql("SELECT token_hash FROM advertiser_association_invitations")[0]["token_hash"]
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    path = f"{INVITATIONS}/{created['invitation_id']}"
    headers = partners.advertiser.manager.headers
    for response in (api.get(path, headers=headers), api.get(INVITATIONS, headers=headers)):
        assert response.status_code == 200
        assert token not in response.text
        assert "invitation_token" not in response.text
    link = api.get(f"{path}/link", headers=headers)
    assert link.status_code == 409
    assert "rotate-token" in link.json()["error"]["message"]


def test_rotating_the_token_issues_a_new_link_and_retires_the_old_one(api, partners) -> None:
    created = create(api, partners)
    path = f"{INVITATIONS}/{created['invitation_id']}/rotate-token?base_url=https://app.example.com"
    rotated = api.post(path, headers=partners.advertiser.manager.headers)
    assert rotated.status_code == 200, rotated.text
    token = rotated.json()["invitation_token"]
    assert rotated.json()["invitation_link"] == f"https://app.example.com/invitations/{token}"
    assert api.get(f"{PUBLIC}/{created['invitation_token']}").status_code == 404
    assert api.get(f"{PUBLIC}/{token}").status_code == 200


def test_the_public_view_reveals_no_personal_data(api, partners) -> None:
    expires = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    created = create(api, partners, description="Our spring program", message="Welcome!", max_uses=5,
                     expires_at=expires)
    response = api.get(f"{PUBLIC}/{created['invitation_token']}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Spring partners"
    assert (body["description"], body["message"]) == ("Our spring program", "Welcome!")
    assert body["advertiser_organization_name"] == "Acme Ads"
    assert (body["remaining_uses"], body["status"], body["usable"]) == (5, "active", True)
    assert datetime.fromisoformat(body["expires_at"]) == datetime.fromisoformat(expires)
    assert "@" not in response.text
    assert str(partners.advertiser.manager.user_id) not in response.text
    assert not {"created_by_user_id", "allowed_affiliate_org_ids", "invitation_token"} & set(body)
    assert api.get(f"{PUBLIC}/{'0' * 64}").status_code == 404
    assert api.get(f"{PUBLIC}/not-a-token").status_code == 404


def test_redeeming_creates_a_pending_request_that_the_advertiser_approves(api, partners, sql) -> None:
    campaign = add_campaign(sql, partners.advertiser.org)
    created = create(api, partners, default_all_campaigns_visible=False, default_visible_campaign_ids=[campaign])
    used = use(api, created["invitation_token"], partners.affiliate, **{"User-Agent": "PartnerBrowser/1.0"})
    assert used.status_code == 200, used.text
    association = used.json()["association"]
    assert used.json()["success"] is True
    assert (association["association_type"], association["status"]) == ("request", "pending")
    assert (association["all_campaigns_visible"], association["visible_campaign_ids"]) == (False, [campaign])
    assert used.json()["invitation"]["current_uses"] == 1
    path = f"{ASSOCIATIONS}/{association['association_id']}/approve"
    assert api.post(path, headers=partners.affiliate.manager.headers).status_code == 403
    assert api.post(path, headers=partners.advertiser.manager.headers).json()["status"] == "active"
    log = sql("SELECT success, host(ip_address) AS ip, user_agent, association_id, used_by_user_id"
              " FROM invitation_usage_log")
    assert log == [{"success": True, "ip": "127.0.0.1", "user_agent": "PartnerBrowser/1.0",
                    "association_id": association["association_id"],
                    "used_by_user_id": partners.affiliate.manager.user_id}]


def test_ip_and_user_agent_cannot_be_supplied_in_the_body(api, partners, sql) -> None:
    token = create(api, partners)["invitation_token"]
    response = api.post(f"{INVITATIONS}/use", headers=partners.affiliate.manager.headers, json={
        "invitation_token": token, "affiliate_org_id": partners.affiliate.org, "ip_address": "10.0.0.1"})
    assert response.status_code == 422
    assert count(sql, "invitation_usage_log") == 0


def test_every_refusal_has_its_status_and_message_and_is_logged(api, partners, make_org, make_user, sql) -> None:
    other = new_side(make_org, make_user, "affiliate")
    cases = []
    limited = create(api, partners, max_uses=1)["invitation_token"]
    assert use(api, limited, partners.affiliate).status_code == 200
    cases.append((use(api, limited, other), 409, "Invitation usage limit has been reached"))
    expired = create(api, partners, name="Expired")
    sql("UPDATE advertiser_association_invitations SET expires_at = now() - interval '1 minute'"
        " WHERE invitation_id = :id", id=expired["invitation_id"])
    cases.append((use(api, expired["invitation_token"], other), 410, "Invitation has expired"))
    disabled = create(api, partners, name="Disabled")
    api.delete(f"{INVITATIONS}/{disabled['invitation_id']}", headers=partners.advertiser.manager.headers)
    cases.append((use(api, disabled["invitation_token"], other), 410, "Invitation is not active"))
    allow_list = create(api, partners, name="Listed", allowed_affiliate_org_ids=[partners.affiliate.org])
    cases.append((use(api, allow_list["invitation_token"], other), 403,
                  "Your organization is not allowed to use this invitation"))
    cases.append((use(api, allow_list["invitation_token"], partners.affiliate), 409,
                  "Association already exists between these organizations"))
    outsider = api.post(f"{INVITATIONS}/use", headers=other.manager.headers, json={
        "invitation_token": allow_list["invitation_token"], "affiliate_org_id": partners.affiliate.org})
    cases.append((outsider, 403, "You can only use an invitation for your own organization"))
    for response, status, message in cases:
        assert (response.status_code, response.json()["error"]["message"]) == (status, message)
    failures = sql("SELECT error_message FROM invitation_usage_log WHERE NOT success ORDER BY usage_id")
    assert [f["error_message"] for f in failures] == [message for _, _, message in cases]
    assert use(api, "f" * 64, other).status_code == 404  # an unknown token has no invitation to log against
    assert count(sql, "invitation_usage_log") == len(cases) + 1
    assert count(sql, "organization_associations") == 1


def test_a_non_affiliate_organization_cannot_redeem(api, partners, make_user, make_org, sql) -> None:
    admin = make_user(Role.ADMIN)
    token = create(api, partners)["invitation_token"]
    response = api.post(f"{INVITATIONS}/use", headers=admin.headers,
                        json={"invitation_token": token, "affiliate_org_id": make_org("advertiser")})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "affiliate_org_id"
    assert count(sql, "organization_associations") == 0


def test_concurrent_redemptions_never_exceed_max_uses(api, make_org, make_user, sql) -> None:
    advertiser = new_side(make_org, make_user, "advertiser")
    token = create(api, Partners(advertiser, advertiser), max_uses=3)["invitation_token"]
    affiliates = [new_side(make_org, make_user, "affiliate") for _ in range(12)]
    start = threading.Barrier(len(affiliates))
    statuses: list[int] = []

    def redeem(side) -> None:
        start.wait()
        statuses.append(use(api, token, side).status_code)

    threads = [threading.Thread(target=redeem, args=(side,)) for side in affiliates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * 3 + [409] * 9
    assert sql("SELECT current_uses FROM advertiser_association_invitations") == [{"current_uses": 3}]
    assert count(sql, "organization_associations") == 3
    assert count(sql, "invitation_usage_log", "success") == 3
    assert count(sql, "invitation_usage_log", "NOT success") == 9


def test_an_update_is_partial_and_validated(api, partners, sql) -> None:
    created = create(api, partners, description="Keep me", max_uses=2)
    path = f"{INVITATIONS}/{created['invitation_id']}"
    headers = partners.advertiser.manager.headers
    updated = api.put(path, json={"name": "Renamed", "max_uses": None}, headers=headers)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["description"], updated.json()["max_uses"]) == \
        ("Renamed", "Keep me", None)
    sql("UPDATE advertiser_association_invitations SET current_uses = 2 WHERE invitation_id = :id",
        id=created["invitation_id"])
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for body in ({"max_uses": 1}, {"expires_at": past}, {"status": "expired"}, {"name": None},
                 {"expires_at": "2030-01-01T00:00:00"}, {"invitation_token": "x" * 64},
                 {"default_visible_affiliate_ids": [1]}):
        assert api.put(path, json=body, headers=headers).status_code == 422, body
    assert api.get(path, headers=headers).json()["name"] == "Renamed"


def test_delete_disables_the_invitation_and_keeps_its_history(api, partners, sql) -> None:
    created = create(api, partners)
    use(api, created["invitation_token"], partners.affiliate)
    path = f"{INVITATIONS}/{created['invitation_id']}"
    headers = partners.advertiser.manager.headers
    assert api.delete(path, headers=headers).status_code == 204
    assert api.delete(path, headers=headers).status_code == 204
    assert api.get(path, headers=headers).json()["status"] == "disabled"
    history = api.get(f"{path}/usage-history", headers=headers)
    assert [h["success"] for h in history.json()] == [True]
    assert history.json()[0]["affiliate_org_id"] == partners.affiliate.org
    assert api.get(f"{PUBLIC}/{created['invitation_token']}").json()["usable"] is False
    events = sql("SELECT event_type FROM outbox WHERE aggregate_type = 'invitation' ORDER BY created_at")
    assert [e["event_type"] for e in events] == ["invitation.created", "invitation.used", "invitation.disabled"]


def test_each_organization_lists_only_its_own_and_expired_ones_on_request(api, partners, make_org, make_user,
                                                                          sql) -> None:
    mine = create(api, partners)
    expired = create(api, partners, name="Old")
    sql("UPDATE advertiser_association_invitations SET expires_at = now() - interval '1 day'"
        " WHERE invitation_id = :id", id=expired["invitation_id"])
    other = new_side(make_org, make_user, "advertiser")
    create(api, Partners(other, partners.affiliate))
    headers = partners.advertiser.manager.headers
    listed = api.get(INVITATIONS, headers=headers).json()
    assert [i["invitation_id"] for i in listed] == [mine["invitation_id"]]
    everything = api.get(f"{INVITATIONS}?include_expired=true", headers=headers).json()
    assert {i["invitation_id"]: i["status"] for i in everything} == {
        mine["invitation_id"]: "active", expired["invitation_id"]: "expired"}
    assert api.get(f"{INVITATIONS}/{expired['invitation_id']}", headers=other.manager.headers).status_code == 404
    assert api.get(INVITATIONS, headers=partners.affiliate.manager.headers).json() == []
    admin = make_user(Role.ADMIN)
    assert len(api.get(f"{INVITATIONS}?include_expired=true", headers=admin.headers).json()) == 3


BAD_CREATES = [
    ("another organization", lambda p, other: {"advertiser_org_id": other}, 403),
    ("in the past", lambda p, other: {"expires_at": "2001-01-01T00:00:00Z"}, 422),
    ("without a timezone", lambda p, other: {"expires_at": "2030-01-01T00:00:00"}, 422),
    ("zero max uses", lambda p, other: {"max_uses": 0}, 422),
    ("affiliate visibility", lambda p, other: {"default_visible_affiliate_ids": [1]}, 422),
    ("a token of one's own", lambda p, other: {"invitation_token": "a" * 64}, 422),
    ("blank name", lambda p, other: {"name": " "}, 422),
]


@pytest.mark.parametrize(("case", "change", "status"), BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_creations_are_refused_and_write_nothing(api, partners, make_org, sql, case, change, status) -> None:
    body = {"advertiser_org_id": partners.advertiser.org, "name": "Links", **change(partners, make_org("advertiser"))}
    response = api.post(INVITATIONS, json=body, headers=partners.advertiser.manager.headers)
    assert response.status_code == status, response.text
    assert count(sql, "advertiser_association_invitations") == 0
    assert count(sql, "outbox") == 0


def test_campaign_defaults_must_be_the_advertisers_own(api, partners, make_org, sql) -> None:
    foreign = add_campaign(sql, make_org("advertiser"))
    response = api.post(INVITATIONS, headers=partners.advertiser.manager.headers, json={
        "advertiser_org_id": partners.advertiser.org, "name": "Links", "default_visible_campaign_ids": [foreign]})
    assert response.status_code == 422
    assert count(sql, "advertiser_association_invitations") == 0
