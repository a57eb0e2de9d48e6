"""tracking-links-api: create-or-return, read, update and list tracking links; serve their QR codes."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.tracking_links import Window
from shared.http.openapi import Content
from shared.http.router import Call, Reply, Router
from shared.schemas.tracking_links import (
    QrQuery,
    TrackingLinkCreate,
    TrackingLinkCreated,
    TrackingLinkList,
    TrackingLinkListQuery,
    TrackingLinkRead,
    TrackingLinkUpdate,
    tracking_link_created,
    tracking_link_list,
    tracking_link_read,
)
from shared.services import tracking_links as service

router = Router("tracking-links-api", tag="Tracking links")
ID = "<int(min=1, max=9223372036854775807):{}>"
LINKS = "/api/v1/tracking-links"
ONE = f"{LINKS}/{ID.format('tracking_link_id')}"
OF_ORGANIZATION = f"/api/v1/organizations/{ID.format('organization_id')}/tracking-links"
QR = f"{OF_ORGANIZATION}/{ID.format('tracking_link_id')}/qr"
QR_IMAGE = Content(("image/png", "image/svg+xml"), {"type": "string", "format": "binary"})


def _base_url(call: Call) -> str:
    return get_settings().public_base_url or call.request.host_url


def _window(call: Call) -> Window:
    query: TrackingLinkListQuery = call.query
    return query.window(get_settings().max_page_size)


@router.route("POST", LINKS, action="tracking_links.create", body=TrackingLinkCreate, response=TrackingLinkCreated,
              status=201, summary="Create the tracking link of these parameters, or return the existing one")
def create(call: Call) -> Reply:
    created = service.create_tracking_link(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return Reply(tracking_link_created(created.link, created.is_new, _base_url(call)),
                 status=201 if created.is_new else 200)


@router.route("GET", LINKS, action="tracking_links.read", query=TrackingLinkListQuery, response=TrackingLinkList,
              summary="List the tracking links of your organization (either side)")
def list_(call: Call) -> TrackingLinkList:
    page = service.list_tracking_links(call.query.filter(), _window(call), uow=UnitOfWork(call.actor.scope),
                                       actor=call.actor)
    return tracking_link_list(page, _base_url(call))


@router.route("GET", ONE, action="tracking_links.read", response=TrackingLinkRead, summary="Get a tracking link")
def get(call: Call) -> TrackingLinkRead:
    link = service.get_tracking_link(call.params["tracking_link_id"], uow=UnitOfWork(call.actor.scope),
                                     actor=call.actor)
    return tracking_link_read(link, _base_url(call))


@router.route("PUT", ONE, action="tracking_links.update", body=TrackingLinkUpdate, response=TrackingLinkRead,
              summary="Update a tracking link (omitted fields are kept; archived is final)")
def update(call: Call) -> TrackingLinkRead:
    link = service.update_tracking_link(call.params["tracking_link_id"], call.body,
                                        uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return tracking_link_read(link, _base_url(call))


@router.route("DELETE", ONE, action="tracking_links.update", status=204,
              summary="Archive a tracking link (its history is kept)")
def archive(call: Call) -> None:
    service.archive_tracking_link(call.params["tracking_link_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@router.route("GET", OF_ORGANIZATION, action="tracking_links.read", query=TrackingLinkListQuery,
              response=TrackingLinkList, summary="List the tracking links of an organization (either side)")
def list_of_organization(call: Call) -> TrackingLinkList:
    where = call.query.filter(organization_id=call.params["organization_id"])
    page = service.list_tracking_links(where, _window(call), uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return tracking_link_list(page, _base_url(call))


@router.route("GET", "/api/v1/affiliates/" + ID.format("affiliate_id") + "/tracking-links",
              action="tracking_links.read", query=TrackingLinkListQuery, response=TrackingLinkList,
              summary="List the tracking links of an affiliate")
def list_of_affiliate(call: Call) -> TrackingLinkList:
    page = service.list_links_of("affiliate", call.params["affiliate_id"], call.query.filter(), _window(call),
                                 uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return tracking_link_list(page, _base_url(call))


@router.route("GET", "/api/v1/campaigns/" + ID.format("campaign_id") + "/tracking-links",
              action="tracking_links.read", query=TrackingLinkListQuery, response=TrackingLinkList,
              summary="List the tracking links of a campaign")
def list_of_campaign(call: Call) -> TrackingLinkList:
    page = service.list_links_of("campaign", call.params["campaign_id"], call.query.filter(), _window(call),
                                 uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return tracking_link_list(page, _base_url(call))


@router.route("GET", QR, action="tracking_links.read", query=QrQuery, response=QR_IMAGE,
              summary="The QR code of a tracking link's URL (PNG, or SVG with format=svg)")
def qr_code(call: Call) -> flask.Response:
    image = service.tracking_link_qr(call.params["organization_id"], call.params["tracking_link_id"],
                                     call.query.format, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    if image.redirect_to is not None:
        return flask.redirect(image.redirect_to, code=302)
    # an SVG is a document: it may draw, never run or fetch anything
    return flask.Response(image.data, mimetype=image.content_type,
                          headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


@functions_framework.http
def tracking_links_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
