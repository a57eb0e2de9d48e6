"""Intelligence data rules without a database: filters, autocomplete limits, the vendor document mapping,
the generated seed data, and which function serves `/api/v1/affiliates/search` locally and at the edge."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions.local.router import PathRouter
from functions.registry import http_functions
from shared.domain.errors import ValidationFailed
from shared.domain.intelligence import (
    Criteria,
    IntelRecord,
    criteria,
    publisher_columns,
    publisher_document,
    suggestion_limit,
    suggestion_text,
)
from shared.intelligence_seed import advertiser_domains, publisher_domains, publishers
from shared.repositories.intelligence import grams
from shared.schemas.intelligence import PublisherIntelWrite

TFVARS = Path(__file__).resolve().parents[2] / "terraform" / "generated" / "functions.tfvars.json"


def test_filters_are_normalized_deduplicated_and_blank_values_dropped() -> None:
    assert criteria(" Shoes.Example. ", "GB", ["Nike.example", "nike.example ", " "],
                    ["Sports  /  Outdoor", "sports / outdoor"]) == Criteria(
        "shoes.example", "gb", ("nike.example",), ("sports / outdoor",))
    assert criteria(None, "", [], None) == Criteria()


@pytest.mark.parametrize(("args", "field"), [
    (("a b", None, None, None), "domain"),
    (("x%", None, None, None), "domain"),
    ((None, "usa", None, None), "country"),
    ((None, "1a", None, None), "country"),
    ((None, None, [f"p{i}.example" for i in range(21)], None), "partner_domains"),
    ((None, None, None, [f"v{i}" for i in range(21)]), "verticals"),
])
def test_bad_filters_are_refused_with_their_field(args, field) -> None:
    with pytest.raises(ValidationFailed) as raised:
        criteria(*args, location="body")
    assert raised.value.details == [{"field": field, "location": "body", "message": raised.value.details[0]["message"],
                                     "type": "value_error"}]


def test_autocomplete_needs_three_characters_and_caps_its_limit() -> None:
    assert suggestion_text(" BIKE ") == "bike"
    for short in (None, "", "ab", " a "):
        with pytest.raises(ValidationFailed):
            suggestion_text(short)
    with pytest.raises(ValidationFailed):
        suggestion_text("bi_ke")
    assert (suggestion_limit(None), suggestion_limit(1), suggestion_limit(50), suggestion_limit(51)) == (10, 1, 50, 50)
    with pytest.raises(ValidationFailed):
        suggestion_limit(0)


def test_a_publisher_document_round_trips_through_its_columns() -> None:
    document = {"domain": "blog.example", "id": 99, "relevance": 1.5, "trafficScore": 2, "known": {"value": True},
                "promotype": {"value": "coupon"}, "metaData": {"description": "d"},
                "partners": {"count": 1, "value": ["a.example"]}, "newVendorKey": [1, 2]}
    columns = publisher_columns(document)
    assert columns["additional_data"] == {"newVendorKey": [1, 2]}  # neither our id nor the domain
    now = datetime.now(UTC)
    read = publisher_document(IntelRecord(7, "blog.example", columns, now, now))
    assert read["id"] == 7 and read["newVendorKey"] == [1, 2] and read["partners"] == document["partners"]
    assert (read["relevance"], read["trafficScore"], read["known"], read["promotype"]) == (
        1.5, 2.0, {"value": True}, {"value": "coupon"})
    assert read["metaData"] == {"description": "d", "faviconImageUrl": None, "screenshotImageUrl": None}


def test_grams_are_those_the_database_indexes() -> None:
    assert grams("Bike.co") == [".co", "bik", "e.c", "ike", "ke."]
    assert grams("ab") == []
    assert grams("abab", 2) == ["ab", "ba"]


def test_seed_data_is_deterministic_distinct_and_valid_for_our_own_api() -> None:
    assert publisher_domains(500) == publisher_domains(500)
    assert publisher_domains(500, seed=1) != publisher_domains(500)
    assert len(set(publisher_domains(5_000))) == 5_000
    brands = advertiser_domains(50)
    docs = list(publishers(200, brands))
    for domain, document in docs:
        PublisherIntelWrite.model_validate_json(json.dumps({"domain": domain, "data": document}))
        assert set(document["partners"]["value"]) <= set(brands)
    assert len({code["countryCode"] for _, d in docs for code in d["countryRankings"]["value"]}) > 10


def test_the_search_path_reaches_the_intelligence_function_locally() -> None:
    def app(name: str):
        def serve(environ, start_response):
            start_response("200 OK", [])
            return [name.encode()]
        return serve

    prefixes = {prefix: app(spec.entry_point) for spec in http_functions() for prefix in spec.paths}
    router = PathRouter(prefixes, health=app("health"))

    def served_by(path: str) -> str:
        return b"".join(router({"PATH_INFO": path}, lambda status, headers: None)).decode()

    assert served_by("/api/v1/affiliates/search") == "intelligence_api"
    assert served_by("/api/v1/analytics/affiliates/domain/x.example") == "intelligence_api"
    assert served_by("/api/v1/affiliates/12") == "affiliates_api"
    assert served_by("/api/v1/affiliates") == "affiliates_api"
    assert served_by("/api/v1/affiliates/12/tracking-links") == "tracking_links_api"


def _edge_matches(rule: dict[str, str | None], path: str) -> bool:
    if rule["full_path_match"] is not None:
        return path == rule["full_path_match"]
    if rule["prefix_match"] is not None:
        return path.startswith(rule["prefix_match"])
    template = str(rule["path_template_match"])
    pattern = re.sub(r"\{p\d+=\*\}", "[^/]+", template).replace("/**", "(/.*)?")
    return re.fullmatch(pattern, path) is not None


def test_the_search_path_reaches_the_intelligence_function_at_the_edge() -> None:
    routes = sorted(json.loads(TFVARS.read_text())["routes"], key=lambda r: r["priority"])

    def served_by(path: str) -> str:
        return next(r["function"] for r in routes if any(_edge_matches(m, path) for m in r["matches"]))

    assert served_by("/api/v1/affiliates/search") == "intelligence-api"
    assert served_by("/api/v1/affiliates/12") == "affiliates-api"
    assert served_by("/api/v1/affiliates/12/tracking-links") == "tracking-links-api"
    assert served_by("/api/v1/analytics/autocomplete") == "intelligence-api"
