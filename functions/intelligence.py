"""intelligence-api: advertiser and publisher intelligence records, domain autocomplete, publisher search."""

from __future__ import annotations

import flask
import functions_framework

from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.intelligence import (
    Criteria,
    advertiser_document,
    criteria,
    publisher_document,
    suggestion_limit,
    suggestion_text,
)
from shared.domain.paging import PageRequest
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.intelligence import (
    AdvertiserEnvelope,
    AdvertiserIntelWrite,
    AutocompleteQuery,
    PublisherEnvelope,
    PublisherIntelWrite,
    SearchBody,
    SearchQuery,
    SearchResult,
    SuggestionsEnvelope,
)
from shared.services import intelligence as service

router = Router("intelligence-api", tag="Intelligence")
BASE = "/api/v1/analytics"
ID = "<int(min=1, max=9223372036854775807):record_id>"
SEARCH = "/api/v1/affiliates/search"


@router.route("GET", BASE + "/autocomplete", action="intelligence.read", query=AutocompleteQuery,
              response=SuggestionsEnvelope, summary="Advertiser and publisher domains containing `q` (3+ chars)")
def autocomplete(call: Call) -> dict[str, object]:
    q = call.query
    found = service.autocomplete(suggestion_text(q.q), q.kind, suggestion_limit(q.limit),
                                 uow=UnitOfWork(call.actor.scope))
    data = [{"id": s.id, "domain": s.domain, "type": s.type.value, "name": s.domain} for s in found]
    return {"message": "Autocomplete results retrieved successfully", "data": data}


@router.route("GET", f"{BASE}/advertisers/{ID}", action="intelligence.read", response=AdvertiserEnvelope,
              summary="An advertiser's intelligence record")
def get_advertiser(call: Call) -> dict[str, object]:
    record = service.get_advertiser(call.params["record_id"], uow=UnitOfWork(call.actor.scope))
    return {"message": "Advertiser retrieved successfully", "data": {"advertiser": advertiser_document(record)}}


@router.route("POST", BASE + "/advertisers", action="intelligence.write", body=AdvertiserIntelWrite,
              response=AdvertiserEnvelope, status=201,
              summary="Insert (201) or replace (200) the record of an advertiser domain")
def save_advertiser(call: Call) -> Reply:
    body: AdvertiserIntelWrite = call.body
    written = service.save_advertiser(body.domain, body.document(), uow=UnitOfWork(call.actor.scope),
                                      actor=call.actor)
    data = {"advertiser": advertiser_document(written.record)}
    return Reply({"message": "Advertiser data saved successfully", "data": data},
                 status=201 if written.created else 200)


@router.route("GET", f"{BASE}/affiliates/{ID}", action="intelligence.read", response=PublisherEnvelope,
              summary="A publisher's intelligence record")
def get_publisher(call: Call) -> dict[str, object]:
    record = service.get_publisher(call.params["record_id"], uow=UnitOfWork(call.actor.scope))
    return {"message": "Publisher retrieved successfully", "data": {"publisher": publisher_document(record)}}


@router.route("GET", BASE + "/affiliates/domain/<string(maxlength=255):domain>", action="intelligence.read",
              response=PublisherEnvelope, summary="A publisher's intelligence record by its exact domain")
def get_publisher_by_domain(call: Call) -> dict[str, object]:
    record = service.get_publisher_by_domain(call.params["domain"], uow=UnitOfWork(call.actor.scope))
    return {"message": "Publisher retrieved successfully", "data": {"publisher": publisher_document(record)}}


@router.route("POST", BASE + "/affiliates", action="intelligence.write", body=PublisherIntelWrite,
              response=PublisherEnvelope, status=201,
              summary="Insert (201) or replace (200) the record of a publisher domain")
def save_publisher(call: Call) -> Reply:
    body: PublisherIntelWrite = call.body
    written = service.save_publisher(body.domain, body.document(), uow=UnitOfWork(call.actor.scope),
                                     actor=call.actor)
    data = {"publisher": publisher_document(written.record)}
    return Reply({"message": "Publisher data saved successfully", "data": data},
                 status=201 if written.created else 200)


@router.route("GET", SEARCH, action="intelligence.read", query=SearchQuery, response=SearchResult,
              summary="Search publishers by domain, country, partner domains and verticals (ranked)")
def search_get(call: Call) -> Reply:
    q: SearchQuery = call.query
    partners, verticals = q.lists()
    where = criteria(q.domain, q.country, partners, verticals)
    return _search(call, where, _page(q.page, q.page_size))


@router.route("POST", SEARCH, action="intelligence.read", body=SearchBody, query=SearchQuery,
              response=SearchResult, summary="Search publishers (the original's body; `?page&pageSize` win)")
def search_post(call: Call) -> Reply:
    b: SearchBody = call.body
    where = criteria(b.domain, b.country, b.partner_domains, b.verticals, location="body")
    return _search(call, where, _page(call.query.page or b.page, call.query.page_size or b.offset))


def _page(page: int | None, size: int | None) -> PageRequest:
    """Page 1 of 10 by default; a size past the cap is lowered to it."""
    return PageRequest(page=page or 1, page_size=min(size or 10, get_settings().max_page_size))


def _search(call: Call, where: Criteria, page: PageRequest) -> Reply:
    result = service.search_publishers(where, page, uow=UnitOfWork(call.actor.scope))
    body = {"data": [{"publisher": publisher_document(r)} for r in result.items], "total": result.total,
            "total_is_lower_bound": result.total_is_lower_bound, "page": page.page, "offset": page.page_size,
            "page_size": page.page_size}
    return Reply(body, headers=page_headers(result))


@functions_framework.http
def intelligence_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
