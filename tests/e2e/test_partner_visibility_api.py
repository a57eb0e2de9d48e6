"""What partners see of each other through active associations, and how many queries the lists cost."""

from __future__ import annotations

import pytest

from shared.db.session import Session
from shared.events.publisher import local_bus
from tests.e2e.partners import ASSOCIATIONS, Partners, active_partnership, add_affiliate, add_campaign, invite, new_side


def test_visible_affiliates_come_from_active_associations_only(api, make_org, make_user, sql) -> None:
    advertiser = new_side(make_org, make_user, "advertiser")
    everything, listed, pending = (new_side(make_org, make_user, "affiliate") for _ in range(3))
    shown = [add_affiliate(sql, everything.org, "A1"), add_affiliate(sql, everything.org, "A2")]
    add_affiliate(sql, everything.org, "Gone", status="archived")
    picked, _unpicked = add_affiliate(sql, listed.org, "B1"), add_affiliate(sql, listed.org, "B2")
    add_affiliate(sql, pending.org, "C1")
    active_partnership(api, Partners(advertiser, everything))
    second = active_partnership(api, Partners(advertiser, listed))
    api.put(f"{ASSOCIATIONS}/{second}/visibility", json={"visible_affiliate_ids": [picked],
            "all_affiliates_visible": False}, headers=listed.manager.headers)
    invite(api, Partners(advertiser, pending))
    path = f"/api/v1/organizations/{advertiser.org}/visible-affiliates"
    visible = api.get(path, headers=advertiser.manager.headers)
    assert visible.status_code == 200, visible.text
    assert [a["affiliate_id"] for a in visible.json()] == [*shown, picked]
    assert visible.json()[0] == {"affiliate_id": shown[0], "organization_id": everything.org, "name": "A1",
                                 "status": "active"}
    assert visible.headers["X-Total-Count"] == "3"
    filtered = api.get(f"{path}?affiliate_org_id={listed.org}", headers=advertiser.manager.headers).json()
    assert [a["affiliate_id"] for a in filtered] == [picked]
    api.post(f"{ASSOCIATIONS}/{second}/suspend", headers=advertiser.manager.headers)
    assert [a["affiliate_id"] for a in api.get(path, headers=advertiser.manager.headers).json()] == shown
    assert api.get(path, headers=everything.manager.headers).status_code == 404
    own_type = api.get(f"/api/v1/organizations/{everything.org}/visible-affiliates", headers=everything.manager.headers)
    assert own_type.status_code == 422


def test_visible_campaigns_skip_drafts_archived_and_unlisted_ones(api, make_org, make_user, sql) -> None:
    affiliate = new_side(make_org, make_user, "affiliate")
    everything, listed = new_side(make_org, make_user, "advertiser"), new_side(make_org, make_user, "advertiser")
    live = add_campaign(sql, everything.org, "Live")
    paused = add_campaign(sql, everything.org, "Paused", status="paused")
    add_campaign(sql, everything.org, "Draft", status="draft")
    add_campaign(sql, everything.org, "Old", status="archived")
    picked, _unpicked = add_campaign(sql, listed.org, "Picked"), add_campaign(sql, listed.org, "Unpicked")
    active_partnership(api, Partners(everything, affiliate))
    active_partnership(api, Partners(listed, affiliate), visible_campaign_ids=[picked], all_campaigns_visible=False)
    path = f"/api/v1/organizations/{affiliate.org}/visible-campaigns"
    visible = api.get(path, headers=affiliate.manager.headers)
    assert visible.status_code == 200, visible.text
    assert [c["campaign_id"] for c in visible.json()] == [live, paused, picked]
    assert {"advertiser_id", "visibility", "organization_id", "status"} <= set(visible.json()[0])
    filtered = api.get(f"{path}?advertiser_org_id={listed.org}", headers=affiliate.manager.headers).json()
    assert [c["campaign_id"] for c in filtered] == [picked]
    assert api.get(path, headers=everything.manager.headers).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/organization-associations?with_details=true",
                                  "/api/v1/organizations/{advertiser}/visible-affiliates"])
def test_lists_run_the_same_number_of_queries_for_1_or_60_rows(api, make_org, make_user, sql, monkeypatch,
                                                               path) -> None:
    advertiser = new_side(make_org, make_user, "advertiser")
    for n in range(60):
        affiliate = make_org("affiliate", name=f"Affiliate org {n}")
        add_affiliate(sql, affiliate, f"Affiliate {n}")
        sql("INSERT INTO organization_associations (advertiser_org_id, affiliate_org_id, status, association_type)"
            " VALUES (:adv, :aff, 'active', 'invitation') RETURNING association_id", adv=advertiser.org, aff=affiliate)
    path = path.format(advertiser=advertiser.org)
    headers = advertiser.manager.headers
    local_bus().wait_idle(60)  # background syncs of the rows just made are not the list's queries
    api.get(path, headers=headers)  # the caller's profile is cached from here on
    counted: list[str] = []
    original = Session._run

    def counting(self, statement, params):  # the live server runs in this process: every query passes here
        counted.append(statement)
        return original(self, statement, params)


    monkeypatch.setattr(Session, "_run", counting)
    queries = {}
    for size in (1, 60):
        counted.clear()
        separator = "&" if "?" in path else "?"
        listed = api.get(f"{path}{separator}limit={size}", headers=headers)
        assert (len(listed.json()), listed.headers["X-Total-Count"]) == (size, "60")
        queries[size] = len(counted)
    assert queries[1] == queries[60] <= 6
