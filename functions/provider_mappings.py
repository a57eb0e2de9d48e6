"""provider-mappings-api: which Everflow record stands for an advertiser, affiliate or campaign.

Tracking-link mappings are written by the sync only and read under /api/v1/tracking-links (tracking-links-api).
"""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.provider_mappings import EntityKind
from shared.http.router import Call, Router
from shared.schemas.common import ReadModel
from shared.schemas.provider_mappings import (
    AdvertiserMappingCreateBody,
    AdvertiserMappingEnvelope,
    AdvertiserMappingUpdateBody,
    AffiliateMappingCreateBody,
    AffiliateMappingEnvelope,
    AffiliateMappingUpdateBody,
    CampaignMappingEnvelope,
    mapping_read,
)
from shared.services import provider_mappings as service

router = Router("provider-mappings-api", tag="Provider mappings")
ID = "int(min=1, max=9223372036854775807)"
ADVERTISER_MAPPINGS = "/api/v1/advertiser-provider-mappings"
AFFILIATE_MAPPINGS = "/api/v1/affiliate-provider-mappings"
READ, MANAGE = "provider_mappings.read", "provider_mappings.manage"


@router.route("GET", f"/api/v1/advertisers/<{ID}:advertiser_id>/provider-mappings/<provider_type>", action=READ,
              response=AdvertiserMappingEnvelope, errors=(422,), summary="Get an advertiser's mapping at a provider")
def get_advertiser_mapping(call: Call) -> ReadModel:
    return _get(call, EntityKind.ADVERTISER, call.params["advertiser_id"])


@router.route("POST", ADVERTISER_MAPPINGS, action=MANAGE, body=AdvertiserMappingCreateBody,
              response=AdvertiserMappingEnvelope, status=201, summary="Map an advertiser to a provider record")
def create_advertiser_mapping(call: Call) -> ReadModel:
    return _create(call, EntityKind.ADVERTISER)


@router.route("PUT", f"{ADVERTISER_MAPPINGS}/<{ID}:mapping_id>", action=MANAGE, body=AdvertiserMappingUpdateBody,
              response=AdvertiserMappingEnvelope, summary="Update an advertiser mapping (omitted fields are kept)")
def update_advertiser_mapping(call: Call) -> ReadModel:
    return _update(call, EntityKind.ADVERTISER)


@router.route("DELETE", f"{ADVERTISER_MAPPINGS}/<{ID}:mapping_id>", action=MANAGE, status=204,
              summary="Delete an advertiser mapping")
def delete_advertiser_mapping(call: Call) -> None:
    _delete(call, EntityKind.ADVERTISER)


@router.route("GET", f"/api/v1/affiliates/<{ID}:affiliate_id>/provider-mappings/<provider_type>", action=READ,
              response=AffiliateMappingEnvelope, errors=(422,), summary="Get an affiliate's mapping at a provider")
def get_affiliate_mapping(call: Call) -> ReadModel:
    return _get(call, EntityKind.AFFILIATE, call.params["affiliate_id"])


@router.route("POST", AFFILIATE_MAPPINGS, action=MANAGE, body=AffiliateMappingCreateBody,
              response=AffiliateMappingEnvelope, status=201, summary="Map an affiliate to a provider record")
def create_affiliate_mapping(call: Call) -> ReadModel:
    return _create(call, EntityKind.AFFILIATE)


@router.route("PUT", f"{AFFILIATE_MAPPINGS}/<{ID}:mapping_id>", action=MANAGE, body=AffiliateMappingUpdateBody,
              response=AffiliateMappingEnvelope, summary="Update an affiliate mapping (omitted fields are kept)")
def update_affiliate_mapping(call: Call) -> ReadModel:
    return _update(call, EntityKind.AFFILIATE)


@router.route("DELETE", f"{AFFILIATE_MAPPINGS}/<{ID}:mapping_id>", action=MANAGE, status=204,
              summary="Delete an affiliate mapping")
def delete_affiliate_mapping(call: Call) -> None:
    _delete(call, EntityKind.AFFILIATE)


@router.route("GET", f"/api/v1/campaigns/<{ID}:campaign_id>/provider-mappings/<provider_type>", action=READ,
              response=CampaignMappingEnvelope, errors=(422,), summary="Get a campaign's offer mapping at a provider")
def get_campaign_mapping(call: Call) -> ReadModel:
    return _get(call, EntityKind.CAMPAIGN, call.params["campaign_id"])


def _get(call: Call, kind: EntityKind, entity_id: int) -> ReadModel:
    mapping = service.get_mapping(kind, entity_id, call.params["provider_type"], uow=UnitOfWork(call.actor.scope),
                                  actor=call.actor)
    return mapping_read(mapping)


def _create(call: Call, kind: EntityKind) -> ReadModel:
    mapping = service.create_mapping(kind, call.body.provider_mapping, uow=UnitOfWork(call.actor.scope),
                                     actor=call.actor)
    return mapping_read(mapping)


def _update(call: Call, kind: EntityKind) -> ReadModel:
    mapping = service.update_mapping(kind, call.params["mapping_id"], call.body.provider_mapping,
                                     uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return mapping_read(mapping)


def _delete(call: Call, kind: EntityKind) -> None:
    service.delete_mapping(kind, call.params["mapping_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@functions_framework.http
def provider_mappings_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
