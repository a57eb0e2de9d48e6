"""Organization associations over HTTP: who may ask, who may decide, who may see, and what is exposed."""

from __future__ import annotations

import pytest

from shared.domain.roles import Role
from tests.e2e.partners import (
    ASSOCIATIONS,
    Partners,
    active_partnership,
    add_affiliate,
    add_campaign,
    ask,
    count,
    invite,
    new_partners,
    new_side,
)


@pytest.fixture
def partners(make_org, make_user) -> Partners:
    return new_partners(make_org, make_user)


def test_an_invitation_is_approved_only_by_the_affiliate_side(api, partners) -> None:
    created = invite(api, partners, message="Let's work together")
    assert created.status_code == 201, created.text
    association = created.json()
    assert (association["status"], association["association_type"]) == ("pending", "invitation")
    assert association["requested_by_user_id"] == str(partners.advertiser.manager.user_id)
    path = f"{ASSOCIATIONS}/{association['association_id']}"
    refused = api.post(f"{path}/approve", headers=partners.advertiser.manager.headers)
    assert refused.status_code == 403
    assert api.post(f"{path}/reject", headers=partners.advertiser.manager.headers).status_code == 403
    approved = api.post(f"{path}/approve", headers=partners.affiliate.manager.headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "active"
    assert approved.json()["approved_by_user_id"] == str(partners.affiliate.manager.user_id)
    assert approved.json()["approved_at"] is not None


def test_a_request_is_approved_only_by_the_advertiser_side(api, partners) -> None:
    created = ask(api, partners)
    assert created.status_code == 201, created.text
    assert created.json()["association_type"] == "request"
    path = f"{ASSOCIATIONS}/{created.json()['association_id']}"
    assert api.post(f"{path}/approve", headers=partners.affiliate.manager.headers).status_code == 403
    assert api.post(f"{path}/approve", headers=partners.advertiser.manager.headers).json()["status"] == "active"


def test_a_platform_admin_may_decide_for_either_side(api, partners, make_user) -> None:
    association_id = ask(api, partners).json()["association_id"]
    admin = make_user(Role.ADMIN)
    response = api.post(f"{ASSOCIATIONS}/{association_id}/reject", headers=admin.headers)
    assert response.json()["status"] == "rejected"


def test_either_side_sees_an_association_and_a_third_party_gets_404(api, partners, make_org, make_user) -> None:
    association_id = invite(api, partners).json()["association_id"]
    path = f"{ASSOCIATIONS}/{association_id}"
    for side in (partners.advertiser, partners.affiliate):
        assert api.get(path, headers=side.manager.headers).json()["association_id"] == association_id
        listed = api.get(ASSOCIATIONS, headers=side.manager.headers).json()
        assert [a["association_id"] for a in listed] == [association_id]
    stranger = new_side(make_org, make_user, "affiliate").manager
    assert api.get(path, headers=stranger.headers).status_code == 404
    for decision in ("approve", "reject", "suspend", "reactivate"):
        assert api.post(f"{path}/{decision}", headers=stranger.headers).status_code == 404
    hidden = api.put(f"{path}/visibility", json={"all_affiliates_visible": False}, headers=stranger.headers)
    assert hidden.status_code == 404
    assert api.get(ASSOCIATIONS, headers=stranger.headers).json() == []
    assert api.get(f"{ASSOCIATIONS}?advertiser_org_id={partners.advertiser.org}",
                   headers=stranger.headers).json() == []
    member = make_user(Role.USER, partners.affiliate.org)
    assert api.get(path, headers=member.headers).status_code == 200


def test_a_rejected_pair_may_apply_again_but_a_live_pair_may_not(api, partners, sql) -> None:
    first = invite(api, partners).json()["association_id"]
    assert ask(api, partners).status_code == 409  # pending, in the other direction too
    rejected = api.post(f"{ASSOCIATIONS}/{first}/reject", headers=partners.affiliate.manager.headers)
    assert rejected.json()["status"] == "rejected"
    again = ask(api, partners)
    assert again.status_code == 201, again.text
    assert invite(api, partners).status_code == 409
    assert count(sql, "organization_associations") == 2


def test_suspend_and_reactivate_belong_to_either_side_and_wrong_states_are_409(api, partners) -> None:
    path = f"{ASSOCIATIONS}/{invite(api, partners).json()['association_id']}"
    assert api.post(f"{path}/suspend", headers=partners.advertiser.manager.headers).status_code == 409
    api.post(f"{path}/approve", headers=partners.affiliate.manager.headers)
    assert api.post(f"{path}/approve", headers=partners.affiliate.manager.headers).status_code == 409
    assert api.post(f"{path}/reactivate", headers=partners.affiliate.manager.headers).status_code == 409
    suspended = api.post(f"{path}/suspend", headers=partners.advertiser.manager.headers)
    assert suspended.json()["status"] == "suspended"
    assert api.post(f"{path}/suspend", headers=partners.affiliate.manager.headers).status_code == 409
    assert api.post(f"{path}/reject", headers=partners.affiliate.manager.headers).status_code == 409
    reactivated = api.post(f"{path}/reactivate", headers=partners.affiliate.manager.headers)
    assert reactivated.json()["status"] == "active"


def test_only_members_of_the_asking_side_create_and_nothing_is_written_otherwise(api, partners, sql) -> None:
    body = {"advertiser_org_id": partners.advertiser.org, "affiliate_org_id": partners.affiliate.org}
    assert api.post(f"{ASSOCIATIONS}/invitations", json=body,
                    headers=partners.affiliate.manager.headers).status_code == 403
    assert api.post(f"{ASSOCIATIONS}/requests", json=body,
                    headers=partners.advertiser.manager.headers).status_code == 403
    assert count(sql, "organization_associations") == 0
    assert count(sql, "outbox") == 0


BAD_PAIRS = [
    ("advertiser is an affiliate org", lambda p, other: (p.affiliate.org, p.affiliate.org), "advertiser_org_id"),
    ("affiliate is an advertiser org", lambda p, other: (p.advertiser.org, other), "affiliate_org_id"),
    ("affiliate org does not exist", lambda p, other: (p.advertiser.org, 999_999), "affiliate_org_id"),
]


@pytest.mark.parametrize(("case", "pick", "field"), BAD_PAIRS, ids=[c[0] for c in BAD_PAIRS])
def test_the_sides_must_be_an_advertiser_and_an_affiliate_organization(api, partners, make_org, make_user, sql,
                                                                       case, pick, field) -> None:
    admin = make_user(Role.ADMIN)
    advertiser, affiliate = pick(partners, make_org("advertiser"))
    response = api.post(f"{ASSOCIATIONS}/invitations", headers=admin.headers,
                        json={"advertiser_org_id": advertiser, "affiliate_org_id": affiliate})
    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["error"]["details"]}
    assert count(sql, "organization_associations") == 0


BAD_BODIES = [
    ("type of the other route", {"association_type": "request"}),
    ("unknown field", {"status": "active"}),
    ("id list of strings", {"visible_campaign_ids": ["1"]}),
    ("negative id", {"visible_campaign_ids": [-1]}),
    ("message too long", {"message": "x" * 5001}),
    ("the affiliate side's list", {"visible_affiliate_ids": [1]}),
    ("the affiliate side's flag", {"all_affiliates_visible": False}),
]


@pytest.mark.parametrize(("case", "extra"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_invitation_bodies_are_422_and_write_nothing(api, partners, sql, case, extra) -> None:
    response = invite(api, partners, **extra)
    assert response.status_code == 422, response.text
    assert count(sql, "organization_associations") == 0


def test_visible_lists_must_name_the_right_organizations_entities(api, partners, make_org, sql) -> None:
    own = add_campaign(sql, partners.advertiser.org)
    foreign = add_campaign(sql, make_org("advertiser"))
    refused = invite(api, partners, visible_campaign_ids=[own, foreign], all_campaigns_visible=False)
    assert refused.status_code == 422
    assert str(foreign) in refused.json()["error"]["details"][0]["message"]
    created = invite(api, partners, visible_campaign_ids=[own, own], all_campaigns_visible=False)
    assert created.status_code == 201, created.text
    assert created.json()["visible_campaign_ids"] == [own]
    path = f"{ASSOCIATIONS}/{created.json()['association_id']}/visibility"
    other_affiliate = add_affiliate(sql, make_org("affiliate"))
    wrong = api.put(path, json={"visible_affiliate_ids": [other_affiliate]}, headers=partners.affiliate.manager.headers)
    assert wrong.status_code == 422


def test_each_side_changes_only_what_it_exposes_and_never_the_status(api, partners, sql) -> None:
    campaign, affiliate = add_campaign(sql, partners.advertiser.org), add_affiliate(sql, partners.affiliate.org)
    association_id = invite(api, partners).json()["association_id"]
    path = f"{ASSOCIATIONS}/{association_id}/visibility"
    advertiser, affiliate_side = partners.advertiser.manager.headers, partners.affiliate.manager.headers
    changed = api.put(path, json={"visible_campaign_ids": [campaign], "all_campaigns_visible": False},
                      headers=advertiser)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["visible_campaign_ids"], changed.json()["all_campaigns_visible"]) == ([campaign], False)
    assert api.put(path, json={"all_affiliates_visible": False}, headers=advertiser).status_code == 403
    assert api.put(path, json={"visible_campaign_ids": None}, headers=affiliate_side).status_code == 403
    mine = api.put(path, json={"visible_affiliate_ids": [affiliate], "all_affiliates_visible": False,
                               "visible_campaign_ids": [campaign]}, headers=affiliate_side)
    assert mine.status_code == 200, mine.text  # sending the other side's unchanged value back is fine
    assert mine.json()["visible_affiliate_ids"] == [affiliate]
    assert api.put(path, json={"status": "active"}, headers=advertiser).status_code == 422
    assert api.put(path, json={"all_campaigns_visible": None}, headers=advertiser).status_code == 422
    assert api.get(f"{ASSOCIATIONS}/{association_id}", headers=advertiser).json()["status"] == "pending"


def test_details_show_both_organizations_and_no_personal_data(api, partners) -> None:
    association_id = invite(api, partners).json()["association_id"]
    for path in (f"{ASSOCIATIONS}?with_details=true", f"{ASSOCIATIONS}/{association_id}?with_details=true"):
        response = api.get(path, headers=partners.advertiser.manager.headers)
        body = response.json()
        association = body[0] if isinstance(body, list) else body
        assert association["advertiser_organization"] == {
            "organization_id": partners.advertiser.org, "name": "Acme Ads", "type": "advertiser"}
        assert association["affiliate_organization"] == {
            "organization_id": partners.affiliate.org, "name": "Deal Finders", "type": "affiliate"}
        assert "@" not in response.text
    plain = api.get(f"{ASSOCIATIONS}/{association_id}", headers=partners.affiliate.manager.headers).json()
    assert "advertiser_organization" not in plain


def test_lists_filter_and_page_with_limit_offset_or_page_size(api, make_org, make_user) -> None:
    advertiser = new_side(make_org, make_user, "advertiser")
    ids = [invite(api, Partners(advertiser, new_side(make_org, make_user, "affiliate"))).json()["association_id"]
           for _ in range(3)]
    headers = advertiser.manager.headers
    newest_first = ids[::-1]
    first = api.get(f"{ASSOCIATIONS}?limit=2", headers=headers)
    assert [a["association_id"] for a in first.json()] == newest_first[:2]
    assert first.headers["X-Total-Count"] == "3"
    assert [a["association_id"] for a in api.get(f"{ASSOCIATIONS}?limit=2&offset=2", headers=headers).json()] == \
        newest_first[2:]
    assert [a["association_id"] for a in api.get(f"{ASSOCIATIONS}?page=2&page_size=2", headers=headers).json()] == \
        newest_first[2:]
    beyond = api.get(f"{ASSOCIATIONS}?offset=10", headers=headers)
    assert (beyond.json(), beyond.headers["X-Total-Count"]) == ([], "3")
    for bad in ("limit=0", "limit=101", "page=0", "limit=2&page=1", "status=unknown"):
        assert api.get(f"{ASSOCIATIONS}?{bad}", headers=headers).status_code == 422, bad
    assert api.get(f"{ASSOCIATIONS}?status=active", headers=headers).json() == []
    assert len(api.get(f"{ASSOCIATIONS}?association_type=invitation", headers=headers).json()) == 3


def test_an_organizations_associations_are_listed_for_either_side_only(api, partners, make_org, make_user) -> None:
    association_id = invite(api, partners).json()["association_id"]
    for side in (partners.advertiser, partners.affiliate):
        path = f"/api/v1/organizations/{side.org}/associations"
        assert [a["association_id"] for a in api.get(path, headers=side.manager.headers).json()] == [association_id]
    stranger = new_side(make_org, make_user, "advertiser").manager
    response = api.get(f"/api/v1/organizations/{partners.affiliate.org}/associations", headers=stranger.headers)
    assert response.status_code == 404


def test_each_change_writes_its_event_and_an_audit_entry_for_both_sides(api, partners, sql) -> None:
    association_id = active_partnership(api, partners)
    api.post(f"{ASSOCIATIONS}/{association_id}/suspend", headers=partners.advertiser.manager.headers)
    api.put(f"{ASSOCIATIONS}/{association_id}/visibility", json={"all_campaigns_visible": False},
            headers=partners.advertiser.manager.headers)
    events = sql("SELECT event_type, organization_id, payload FROM outbox WHERE aggregate_type = 'association'"
                 " ORDER BY created_at")
    assert [e["event_type"] for e in events] == ["association.created", "association.approved",
                                                 "association.suspended", "association.visibility_changed"]
    assert events[1]["payload"]["status"] == "active"
    assert events[1]["payload"]["affiliate_org_id"] == partners.affiliate.org
    audit = sql("SELECT action, organization_id, changes FROM audit_log WHERE entity_type = 'association'"
                " ORDER BY audit_id")
    assert [a["action"] for a in audit] == [a for action in ("create", "approve", "suspend", "visibility")
                                            for a in (f"association.{action}",) * 2]
    assert {a["organization_id"] for a in audit} == {partners.advertiser.org, partners.affiliate.org}
    assert audit[2]["changes"]["status"] == {"before": "pending", "after": "active"}


def test_a_refused_decision_writes_no_event_and_no_audit_entry(api, partners, sql) -> None:
    association_id = invite(api, partners).json()["association_id"]
    before = (count(sql, "outbox"), count(sql, "audit_log"))
    assert api.post(f"{ASSOCIATIONS}/{association_id}/approve",
                    headers=partners.advertiser.manager.headers).status_code == 403
    assert api.post(f"{ASSOCIATIONS}/{association_id}/suspend",
                    headers=partners.advertiser.manager.headers).status_code == 409
    assert (count(sql, "outbox"), count(sql, "audit_log")) == before
