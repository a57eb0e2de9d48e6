"""Pure rules of tracking links: who may link what, updates, parameters, paging, URLs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.principal import TenantScope
from shared.domain.tracking_links import (
    LinkParameters,
    LinkParties,
    Partnership,
    Party,
    PendingTrackingUrl,
    QrFormat,
    TrackingLink,
    TrackingLinkStatus,
    check_link_allowed,
    check_tracking_url,
    event_type,
    parameters_changed,
    plan_update,
    qr_stem,
)
from shared.schemas.tracking_links import (
    TrackingLinkCreate,
    TrackingLinkListQuery,
    TrackingLinkUpdate,
    tracking_link_read,
)

ADVERTISER_ORG, AFFILIATE_ORG, STRANGER_ORG = 10, 20, 30
CAMPAIGN, AFFILIATE = 1, 2


def parties(*, campaign_status: str = "active", affiliate_status: str = "active", partnership: str | None = "active",
            campaigns: frozenset[int] | None = None, affiliates: frozenset[int] | None = None) -> LinkParties:
    shared = None if partnership is None else Partnership(
        partnership, campaigns is None, campaigns or frozenset(), affiliates is None, affiliates or frozenset())
    return LinkParties(Party(CAMPAIGN, ADVERTISER_ORG, campaign_status), Party(AFFILIATE, AFFILIATE_ORG,
                                                                                affiliate_status), shared)


ADVERTISER_SIDE = TenantScope.only(ADVERTISER_ORG)
AFFILIATE_SIDE = TenantScope.only(AFFILIATE_ORG)
STRANGER = TenantScope.only(STRANGER_ORG)
ADMIN = TenantScope.everything()


@pytest.mark.parametrize("scope", [ADVERTISER_SIDE, AFFILIATE_SIDE, ADMIN])
def test_either_side_of_an_active_partnership_may_link_its_campaign_and_affiliate(scope) -> None:
    check_link_allowed(parties(), CAMPAIGN, AFFILIATE, scope)


def test_a_caller_on_neither_side_finds_nothing() -> None:
    with pytest.raises(NotFound, match="Campaign 1"):
        check_link_allowed(parties(), CAMPAIGN, AFFILIATE, STRANGER)


def test_missing_campaign_or_affiliate_is_not_found() -> None:
    with pytest.raises(NotFound, match="Campaign 1"):
        check_link_allowed(replace(parties(), campaign=None), CAMPAIGN, AFFILIATE, ADMIN)
    with pytest.raises(NotFound, match="Affiliate 2"):
        check_link_allowed(replace(parties(), affiliate=None), CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)


@pytest.mark.parametrize("partnership", [None, "pending", "suspended"])
def test_the_other_sides_entity_is_invisible_without_an_active_partnership(partnership) -> None:
    with pytest.raises(NotFound, match="Campaign 1"):
        check_link_allowed(parties(partnership=partnership), CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)
    with pytest.raises(NotFound, match="Affiliate 2"):
        check_link_allowed(parties(partnership=partnership), CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)


@pytest.mark.parametrize("partnership", [None, "pending", "suspended"])
def test_an_administrator_is_told_the_partnership_is_not_active(partnership) -> None:
    with pytest.raises(Conflict, match="no active partnership"):
        check_link_allowed(parties(partnership=partnership), CAMPAIGN, AFFILIATE, ADMIN)


def test_a_campaign_outside_the_partnerships_visibility_is_hidden_from_the_affiliate_side() -> None:
    restricted = parties(campaigns=frozenset({99}))
    with pytest.raises(NotFound, match="Campaign 1"):
        check_link_allowed(restricted, CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)
    with pytest.raises(Conflict, match="Campaign 1 is not visible"):
        check_link_allowed(restricted, CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)
    check_link_allowed(parties(campaigns=frozenset({CAMPAIGN})), CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)


def test_an_affiliate_outside_the_partnerships_visibility_is_hidden_from_the_advertiser_side() -> None:
    restricted = parties(affiliates=frozenset())
    with pytest.raises(NotFound, match="Affiliate 2"):
        check_link_allowed(restricted, CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)
    with pytest.raises(Conflict, match="Affiliate 2 is not visible"):
        check_link_allowed(restricted, CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_only_active_or_paused_campaigns_get_links(status) -> None:
    with pytest.raises(Conflict, match=f"is {status}"):
        check_link_allowed(parties(campaign_status=status), CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)
    check_link_allowed(parties(campaign_status="paused"), CAMPAIGN, AFFILIATE, ADVERTISER_SIDE)


def test_an_archived_affiliate_gets_no_links_but_a_pending_one_does() -> None:
    with pytest.raises(Conflict, match="archived"):
        check_link_allowed(parties(affiliate_status="archived"), CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)
    check_link_allowed(parties(affiliate_status="pending"), CAMPAIGN, AFFILIATE, AFFILIATE_SIDE)


def link(**changes: object) -> TrackingLink:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = TrackingLink(7, ADVERTISER_ORG, AFFILIATE_ORG, CAMPAIGN, AFFILIATE, "Link", None, TrackingLinkStatus.ACTIVE,
                        None, None, "a", None, None, None, None, False, False, None, [], None, 1, now, now)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_update_keeps_only_real_changes() -> None:
    assert plan_update(link(), {"name": "Link", "sub1": "a", "sub2": "b"}) == {"sub2": "b"}


def test_archived_links_are_final() -> None:
    archived = link(status=TrackingLinkStatus.ARCHIVED)
    with pytest.raises(Conflict, match="archived"):
        plan_update(archived, {"status": TrackingLinkStatus.ACTIVE})
    with pytest.raises(Conflict):
        plan_update(archived, {"name": "Renamed"})
    assert plan_update(archived, {"status": TrackingLinkStatus.ARCHIVED}) == {}


def test_only_source_and_sub_ids_are_parameters() -> None:
    assert parameters_changed({"source_id": "x"})
    assert not parameters_changed({"name": "x", "tags": ["a"], "is_redirect_link": True})


def test_archiving_is_its_own_event() -> None:
    assert event_type(link(), link(status=TrackingLinkStatus.ARCHIVED)) == "tracking_link.archived"
    assert event_type(link(), link(status=TrackingLinkStatus.PAUSED)) == "tracking_link.updated"


def test_empty_and_missing_sub_ids_are_the_same_parameters() -> None:
    blank = TrackingLinkCreate.model_validate_json(
        '{"name": "L", "campaign_id": 1, "affiliate_id": 2, "sub1": "", "sub2": "   ", "source_id": "fb"}')
    assert blank.link_request().parameters == LinkParameters(source_id="fb")
    assert blank.values()["sub1"] is None and blank.values()["sub2"] is None
    update = TrackingLinkUpdate.model_validate_json('{"sub3": "", "sub4": null}')
    assert update.changes() == {"sub3": None, "sub4": None}


@pytest.mark.parametrize("body", ['{"name": null}', '{"status": null}', '{"tags": null}',
                                  '{"is_redirect_link": null}', '{"status": "deleted"}', '{"tags": [""]}',
                                  '{"sub1": "<b>"}', '{"tracking_url": "https://x.test"}'])
def test_an_update_cannot_clear_required_fields_or_set_unknown_ones(body) -> None:
    with pytest.raises(ValidationError):
        TrackingLinkUpdate.model_validate_json(body)


def test_the_everflow_options_are_passed_to_the_generator() -> None:
    cmd = TrackingLinkCreate.model_validate_json(
        '{"name": "L", "campaign_id": 1, "affiliate_id": 2, "creative_id": 5}')
    assert cmd.link_request().options == {"creative_id": 5}
    assert PendingTrackingUrl().generate(cmd.link_request()) is None


@pytest.mark.parametrize(("query", "expected"), [
    ({}, (20, 0)),
    ({"limit": "5", "offset": "7"}, (5, 7)),
    ({"offset": "40"}, (20, 40)),
    ({"page": "3", "page_size": "10"}, (10, 20)),
    ({"page_size": "1000"}, (100, 0)),
    ({"limit": "500", "page": "9"}, (100, 0)),
])
def test_paging_by_limit_and_offset_or_by_page(query, expected) -> None:
    window = TrackingLinkListQuery.model_validate(query).window(max_size=100)
    assert (window.limit, window.offset) == expected


@pytest.mark.parametrize("query", [{"limit": "0"}, {"offset": "-1"}, {"page": "0"}, {"campaign_ids": "1,x"},
                                   {"affiliate_ids": "0"}, {"status": "gone"}])
def test_bad_list_parameters_are_refused(query) -> None:
    with pytest.raises(ValidationError):
        TrackingLinkListQuery.model_validate(query)


def test_id_lists_are_comma_separated() -> None:
    query = TrackingLinkListQuery.model_validate({"campaign_ids": "3, 1,,2", "affiliate_ids": "9"})
    assert query.filter().campaign_ids == (3, 1, 2)
    assert query.filter(organization_id=4).affiliate_ids == (9,)


def test_a_new_url_gets_new_qr_objects() -> None:
    first, second = qr_stem(7, "https://t.test/a"), qr_stem(7, "https://t.test/b")
    assert first != second and first.startswith("qr/tracking-links/7/")
    assert qr_stem(7, "https://t.test/a") == first


@pytest.mark.parametrize("url", ["ftp://t.test/x", "javascript:alert(1)", "https://t.test/a b",
                                 "https://t.test/" + "x" * 2_000])
def test_a_tracking_url_must_be_a_plain_http_url(url) -> None:
    with pytest.raises(ValidationFailed):
        check_tracking_url(url)


def test_the_qr_code_url_is_the_originals_route_and_only_exists_with_a_tracking_url() -> None:
    assert tracking_link_read(link(), "https://api.example.test/").qr_code_url is None
    ready = tracking_link_read(link(tracking_url="https://t.test/x"), "https://api.example.test/")
    assert ready.qr_code_url == f"https://api.example.test/api/v1/organizations/{ADVERTISER_ORG}/tracking-links/7/qr"
    assert QrFormat("svg").content_type == "image/svg+xml" and QrFormat.PNG.content_type == "image/png"
