"""Tracking-link use cases: create-or-return, read, list, update, the tracking URL and its QR code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.adapters import qr
from shared.adapters.storage import Storage, get_storage
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, NotFound
from shared.domain.events import DomainEvent
from shared.domain.principal import Actor
from shared.domain.tracking_links import (
    LinkFilter,
    LinkPage,
    LinkParameters,
    PendingTrackingUrl,
    QrFormat,
    TrackingLink,
    TrackingLinkStatus,
    TrackingUrlGenerator,
    Window,
    check_link_allowed,
    check_tracking_url,
    event_type,
    parameters_changed,
    plan_update,
    qr_stem,
)
from shared.schemas.tracking_links import TrackingLinkCreate, TrackingLinkUpdate

PENDING = PendingTrackingUrl()


@dataclass(frozen=True)
class CreatedLink:
    link: TrackingLink
    is_new: bool


@dataclass(frozen=True)
class QrImage:
    """The QR image itself, or where to fetch it (a signed Cloud Storage URL)."""

    content_type: str
    data: bytes | None = None
    redirect_to: str | None = None


def create_tracking_link(cmd: TrackingLinkCreate, *, uow: UnitOfWork, actor: Actor,
                         generator: TrackingUrlGenerator = PENDING, storage: Storage | None = None) -> CreatedLink:
    """The link of these parameters: a new one (is_new) or the one that exists, even under concurrency."""
    with uow:
        parties = uow.tracking_links.parties(cmd.campaign_id, cmd.affiliate_id, uow.scope)
        check_link_allowed(parties, cmd.campaign_id, cmd.affiliate_id, uow.scope)
        assert parties.campaign is not None and parties.affiliate is not None
        link, is_new = uow.tracking_links.add(cmd.values() | {
            "organization_id": parties.campaign.organization_id,
            "affiliate_org_id": parties.affiliate.organization_id})
        if not is_new:
            if link.status is TrackingLinkStatus.ARCHIVED:
                raise Conflict(f"Tracking link {link.tracking_link_id} has these parameters and is archived.")
            return CreatedLink(link, is_new=False)
        request = cmd.link_request()
        url = generator.generate(request)
        if url is not None:
            link = _store_url(uow, link, check_tracking_url(url), storage)
        _record(uow, actor, "tracking_link.create", "tracking_link.created", before=None, after=link,
                options=request.options)
        uow.commit()
    return CreatedLink(link, is_new=True)


def get_tracking_link(tracking_link_id: int, *, uow: UnitOfWork, actor: Actor) -> TrackingLink:
    with uow:
        return _visible(uow, tracking_link_id)


def update_tracking_link(tracking_link_id: int, cmd: TrackingLinkUpdate, *, uow: UnitOfWork, actor: Actor,
                         generator: TrackingUrlGenerator = PENDING, storage: Storage | None = None) -> TrackingLink:
    """Partial update; new sub-ids void the tracking URL until it is generated for them."""
    with uow:
        current = _visible(uow, tracking_link_id, for_update=True)
        changes = plan_update(current, cmd.changes())
        if not changes:
            return current
        regenerate = parameters_changed(changes)
        if regenerate:
            changes |= {"tracking_url": None, "qr_code_object": None}
        link = uow.tracking_links.update(tracking_link_id, changes)
        url = generator.generate(link.request()) if regenerate else None
        if url is not None:
            link = _store_url(uow, link, check_tracking_url(url), storage)
        verb = "archive" if event_type(current, link).endswith("archived") else "update"
        _record(uow, actor, f"tracking_link.{verb}", event_type(current, link), before=current, after=link,
                parameters_changed=regenerate)
        uow.commit()
    return link


def archive_tracking_link(tracking_link_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """DELETE archives: the link's history stays, and archiving twice changes nothing."""
    update_tracking_link(tracking_link_id, TrackingLinkUpdate(status=TrackingLinkStatus.ARCHIVED), uow=uow,
                         actor=actor)


def list_tracking_links(where: LinkFilter, window: Window, *, uow: UnitOfWork, actor: Actor) -> LinkPage:
    """Links of which the caller's organization is either side; `organization_id` must be the caller's."""
    with uow:
        if where.organization_id is not None and not _organization_visible(uow, where.organization_id):
            raise NotFound(f"Organization {where.organization_id} was not found.")
        return uow.tracking_links.list(where, window, uow.scope)


def list_links_of(kind: Literal["campaign", "affiliate"], entity_id: int, where: LinkFilter, window: Window, *,
                  uow: UnitOfWork, actor: Actor) -> LinkPage:
    """Links of a campaign or an affiliate (`kind`) of the caller's organization or of a partner."""
    with uow:
        if not uow.tracking_links.reachable(kind, entity_id, uow.scope):
            raise NotFound(f"{kind.capitalize()} {entity_id} was not found.")
        ids = (entity_id,)
        scoped = LinkFilter(ids, where.affiliate_ids, where.status) if kind == "campaign" else LinkFilter(
            where.campaign_ids, ids, where.status)
        return uow.tracking_links.list(scoped, window, uow.scope)


def set_tracking_url(tracking_link_id: int, url: str, *, uow: UnitOfWork, actor: Actor,
                     parameters: LinkParameters | None = None, storage: Storage | None = None) -> TrackingLink:
    """Store a generated URL and its QR code; `parameters` (those it was generated for) must still hold."""
    url = check_tracking_url(url)
    with uow:
        current = _visible(uow, tracking_link_id, for_update=True)
        if parameters is not None and parameters != current.parameters:
            raise Conflict(f"Tracking link {tracking_link_id} has other parameters now; the URL is stale.")
        if current.tracking_url == url and current.qr_code_object == qr_stem(tracking_link_id, url):
            return current
        link = _store_url(uow, current, url, storage)
        _record(uow, actor, "tracking_link.set_url", "tracking_link.updated", before=current, after=link,
                parameters_changed=False)
        uow.commit()
    return link


def tracking_link_qr(organization_id: int, tracking_link_id: int, fmt: QrFormat, *, uow: UnitOfWork,
                     actor: Actor, storage: Storage | None = None) -> QrImage:
    """The QR image of a link's URL, for a caller of either side, under either side's organization."""
    with uow:
        link = _visible(uow, tracking_link_id)
    if organization_id not in (link.organization_id, link.affiliate_org_id):
        raise NotFound(f"Tracking link {tracking_link_id} was not found.")
    if link.tracking_url is None:
        raise NotFound(f"Tracking link {tracking_link_id} has no tracking URL yet.")
    storage = storage or get_storage()
    stem = qr_stem(tracking_link_id, link.tracking_url)
    if not storage.redirects:
        return QrImage(fmt.content_type, data=qr.load(storage, stem, link.tracking_url, fmt))
    if link.qr_code_object != stem:  # stored before this URL's images were written: write them now
        qr.store(storage, stem, link.tracking_url)
    return QrImage(fmt.content_type, redirect_to=storage.url(f"{stem}.{fmt.value}"))


def _store_url(uow: UnitOfWork, link: TrackingLink, url: str, storage: Storage | None) -> TrackingLink:
    """Write the QR images first: if that fails the transaction rolls back and the link keeps no URL."""
    stem = qr_stem(link.tracking_link_id, url)
    qr.store(storage or get_storage(), stem, url)
    return uow.tracking_links.update(link.tracking_link_id, {"tracking_url": url, "qr_code_object": stem})


def _record(uow: UnitOfWork, actor: Actor, action: str, event: str, *, before: TrackingLink | None,
            after: TrackingLink, **extra: Any) -> None:
    link_id, org_id = str(after.tracking_link_id), after.organization_id
    changes = diff(before.fields() if before else {}, after.fields())
    changes.pop("version", None)
    uow.audit.record(actor, AuditEntry(action, "tracking_link", link_id, org_id, changes))
    uow.outbox.add(DomainEvent(event, "tracking_link", link_id, org_id, version=after.version,
                               payload=after.fields() | extra))


def _visible(uow: UnitOfWork, tracking_link_id: int, *, for_update: bool = False) -> TrackingLink:
    link = uow.tracking_links.get(tracking_link_id, uow.scope, for_update=for_update)
    if link is None:
        raise NotFound(f"Tracking link {tracking_link_id} was not found.")
    return link


def _organization_visible(uow: UnitOfWork, organization_id: int) -> bool:
    return uow.organizations.get(organization_id, uow.scope) is not None
