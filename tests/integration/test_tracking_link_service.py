"""Tracking-link use cases against PostgreSQL (with row-level security) and real storage."""

from __future__ import annotations

import uuid

import pytest

from shared.adapters.storage import LocalStorage
from shared.db.uow import UnitOfWork
from shared.domain.errors import Conflict, NotFound
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.domain.tracking_links import LinkParameters, LinkRequest, QrFormat
from shared.schemas.tracking_links import TrackingLinkCreate, TrackingLinkUpdate
from shared.services import tracking_links as service
from tests.qr_decode import decode_qr_png, decode_qr_svg
from tests.tracking_link_rows import add_link, arrange_partners, audit, events

URL = "https://track.example.test/ABC123/DEF456/?sub1=spring"


def actor(role: Role, org: int | None) -> Actor:
    return Actor(Principal(uuid.uuid4(), role, org), request_id="req-test")


class FixedUrl:
    """A generator that knows the URL at once (as the Everflow generator will), recording what it was asked."""

    def __init__(self, url: str = URL) -> None:
        self.url = url
        self.asked: list[LinkRequest] = []

    def generate(self, link_params: LinkRequest) -> str | None:
        self.asked.append(link_params)
        return self.url


class BrokenGenerator:
    def generate(self, link_params: LinkRequest) -> str | None:
        raise RuntimeError("everflow is down")


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path)


@pytest.fixture
def partners(env, sql, make_org):
    return arrange_partners(sql, make_org)


def create(partners, who: Actor, **kwargs):
    cmd = TrackingLinkCreate(name="Spring", campaign_id=partners.campaign_id, affiliate_id=partners.affiliate_id,
                             sub1="spring", creative_id=9)
    return service.create_tracking_link(cmd, uow=UnitOfWork(who.scope), actor=who, **kwargs)


def test_the_affiliate_side_reads_the_advertisers_campaign_only_through_the_partnership(partners) -> None:
    scope = TenantScope.only(partners.affiliate_org)
    with UnitOfWork(scope) as uow:
        parties = uow.tracking_links.parties(partners.campaign_id, partners.affiliate_id, scope)
        hidden = uow.session.fetch_all("SELECT campaign_id FROM campaigns")  # row-level security is back on
    assert parties.campaign is not None and parties.campaign.organization_id == partners.advertiser_org
    assert parties.partnership is not None and parties.partnership.active
    assert hidden == []


def test_a_stranger_learns_nothing_about_either_side(partners, make_org) -> None:
    scope = TenantScope.only(make_org("affiliate"))
    with UnitOfWork(scope) as uow:
        parties = uow.tracking_links.parties(partners.campaign_id, partners.affiliate_id, scope)
    assert parties.campaign is None and parties.affiliate is None and parties.partnership is None


def test_a_generated_url_is_stored_with_qr_images_that_decode_back_to_it(partners, storage, sql) -> None:
    generator = FixedUrl()
    created = create(partners, actor(Role.AFFILIATE_MANAGER, partners.affiliate_org), generator=generator,
                     storage=storage)
    link = created.link
    assert created.is_new and link.tracking_url == URL
    assert generator.asked[0].parameters == LinkParameters(sub1="spring")
    assert generator.asked[0].options == {"creative_id": 9}
    assert decode_qr_png(storage.get(f"{link.qr_code_object}.png") or b"") == [URL]
    assert decode_qr_svg(storage.get(f"{link.qr_code_object}.svg") or b"") == [URL]
    [event] = events(sql, link.tracking_link_id)
    assert event["event_type"] == "tracking_link.created" and event["aggregate_version"] == link.version
    assert event["payload"]["tracking_url"] == URL and event["payload"]["options"] == {"creative_id": 9}


def test_a_failing_generator_rolls_the_whole_creation_back(partners, sql) -> None:
    with pytest.raises(RuntimeError):
        create(partners, actor(Role.ADVERTISER_MANAGER, partners.advertiser_org), generator=BrokenGenerator())
    assert sql("SELECT count(*) AS n FROM tracking_links") == [{"n": 0}]
    assert sql("SELECT count(*) AS n FROM outbox") == [{"n": 0}]
    assert sql("SELECT count(*) AS n FROM audit_log WHERE entity_type = 'tracking_link'") == [{"n": 0}]


def test_set_tracking_url_stores_the_url_and_its_qr_code_and_records_the_change(partners, storage, sql) -> None:
    link_id = add_link(sql, partners, sub1="spring")
    system = actor(Role.ADMIN, None)
    link = service.set_tracking_url(link_id, URL, uow=UnitOfWork(system.scope), actor=system, storage=storage,
                                    parameters=LinkParameters(sub1="spring"))
    assert link.tracking_url == URL and link.version == 2
    assert decode_qr_png(storage.get(f"{link.qr_code_object}.png") or b"") == [URL]
    [event] = events(sql, link_id)
    assert event["event_type"] == "tracking_link.updated"
    assert event["payload"]["parameters_changed"] is False and event["aggregate_version"] == 2
    [entry] = audit(sql, link_id)
    assert entry["action"] == "tracking_link.set_url"
    assert entry["changes"]["tracking_url"] == {"before": None, "after": URL}


def test_setting_the_same_url_again_changes_nothing(partners, storage, sql) -> None:
    link_id = add_link(sql, partners)
    system = actor(Role.ADMIN, None)
    for _ in range(2):
        link = service.set_tracking_url(link_id, URL, uow=UnitOfWork(system.scope), actor=system, storage=storage)
    assert link.version == 2
    assert len(events(sql, link_id)) == 1


def test_a_new_url_regenerates_the_qr_code(partners, storage, sql) -> None:
    link_id = add_link(sql, partners)
    system = actor(Role.ADMIN, None)
    first = service.set_tracking_url(link_id, URL, uow=UnitOfWork(system.scope), actor=system, storage=storage)
    second = service.set_tracking_url(link_id, URL + "&v=2", uow=UnitOfWork(system.scope), actor=system,
                                      storage=storage)
    assert first.qr_code_object != second.qr_code_object
    assert decode_qr_png(storage.get(f"{second.qr_code_object}.png") or b"") == [URL + "&v=2"]


def test_a_url_generated_for_old_parameters_is_refused(partners, storage, sql) -> None:
    link_id = add_link(sql, partners, sub1="new")
    system = actor(Role.ADMIN, None)
    with pytest.raises(Conflict, match="stale"):
        service.set_tracking_url(link_id, URL, uow=UnitOfWork(system.scope), actor=system, storage=storage,
                                 parameters=LinkParameters(sub1="old"))
    assert sql("SELECT tracking_url FROM tracking_links") == [{"tracking_url": None}]


def test_set_tracking_url_respects_the_callers_scope(partners, storage, sql, make_org) -> None:
    link_id = add_link(sql, partners)
    stranger = actor(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    with pytest.raises(NotFound):
        service.set_tracking_url(link_id, URL, uow=UnitOfWork(stranger.scope), actor=stranger, storage=storage)


def test_new_sub_ids_void_the_url_until_it_is_generated_again(partners, storage, sql) -> None:
    link_id = add_link(sql, partners, sub1="a", tracking_url=URL, qr_code_object="qr/old")
    manager = actor(Role.AFFILIATE_MANAGER, partners.affiliate_org)
    pending = service.update_tracking_link(link_id, TrackingLinkUpdate(sub1="b"), uow=UnitOfWork(manager.scope),
                                           actor=manager)
    assert pending.tracking_url is None and pending.qr_code_object is None
    generator = FixedUrl(URL + "&sub1=c")
    fresh = service.update_tracking_link(link_id, TrackingLinkUpdate(sub1="c"), uow=UnitOfWork(manager.scope),
                                         actor=manager, generator=generator, storage=storage)
    assert generator.asked[0].parameters == LinkParameters(sub1="c")
    assert fresh.tracking_url == URL + "&sub1=c"
    assert storage.get(f"{fresh.qr_code_object}.{QrFormat.SVG}") is not None
    assert [e["payload"]["parameters_changed"] for e in events(sql, link_id)] == [True, True]


def test_a_rolled_back_update_leaves_no_event_and_no_audit_entry(partners, sql) -> None:
    add_link(sql, partners, sub1="taken")
    link_id = add_link(sql, partners, sub1="mine")
    manager = actor(Role.ADVERTISER_MANAGER, partners.advertiser_org)
    with pytest.raises(Conflict):
        service.update_tracking_link(link_id, TrackingLinkUpdate(sub1="taken", name="Renamed"),
                                     uow=UnitOfWork(manager.scope), actor=manager)
    assert sql("SELECT name, sub1 FROM tracking_links WHERE tracking_link_id = :id", id=link_id) == [
        {"name": "Arranged link", "sub1": "mine"}]
    assert events(sql, link_id) == [] and audit(sql, link_id) == []
