"""Intelligence data over HTTP: vendor records written by Admin and read back as sent, autocomplete and
publisher search with their filters and ranking, 404s, 422s, and the lookups other areas use."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db.uow import UnitOfWork
from shared.domain.intelligence import publisher_columns
from shared.domain.principal import TenantScope
from shared.domain.roles import Role
from shared.repositories.intelligence import grams

BASE = "/api/v1/analytics"
SEARCH = "/api/v1/affiliates/search"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def reader(make_user, make_org):
    return make_user(Role.AFFILIATE_MANAGER, make_org("affiliate"))


def publisher(domain: str, *, countries=("us",), partners=(), verticals=("Gaming",), relevance=0.0,
              traffic=0.0, partner_count: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "relevance": relevance, "trafficScore": traffic, "known": {"value": False}, "promotype": {"value": "blog"},
        "countryRankings": {"count": len(countries), "value": [{"countryCode": c, "score": 0.5} for c in countries]},
        "partners": {"count": len(partners) if partner_count is None else partner_count, "value": list(partners)},
        "verticalsV2": {"count": len(verticals), "value": [{"name": v, "rank": 1, "score": 70} for v in verticals]},
        **extra,
    }


def save(api, admin, kind: str, domain: str, data: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.post(f"{BASE}/{kind}", json={"domain": domain, "data": data}, headers=admin.headers)
    assert response.status_code == status, response.text
    return dict(response.json()["data"])


def domains(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["publisher"]["domain"] for item in response.json()["data"]]


# --- records -----------------------------------------------------------------------------------------

def test_a_publisher_written_by_admin_reads_back_as_the_vendor_document(api, admin, reader) -> None:
    data = publisher("techblog.example", partners=["brand.example"], relevance=12.5, traffic=340.25,
                     metaData={"description": "Gadgets", "faviconImageUrl": "https://x.example/f.png",
                               "screenshotImageUrl": None},
                     liveUrls={"count": 1, "value": ["https://techblog.example/"]}, vendorExtra={"seen": 3})
    data["known"] = {"value": True}
    saved = save(api, admin, "affiliates", "TechBlog.Example", data)["publisher"]
    assert saved["domain"] == "techblog.example"
    by_id = api.get(f"{BASE}/affiliates/{saved['id']}", headers=reader.headers)
    by_domain = api.get(f"{BASE}/affiliates/domain/TECHBLOG.example", headers=reader.headers)
    for response in (by_id, by_domain):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"]
        record = body["data"]["publisher"]
        assert record == saved
    assert record["relevance"] == 12.5 and record["trafficScore"] == 340.25
    assert record["known"] == {"value": True} and record["promotype"] == {"value": "blog"}
    assert record["metaData"] == data["metaData"]
    assert record["liveUrls"] == data["liveUrls"] and record["partners"] == data["partners"]
    assert record["vendorExtra"] == {"seen": 3}
    assert record["affiliateNetworks"] is None


def test_an_advertiser_record_keeps_its_vendor_keys_and_unknown_ones(api, admin, make_user) -> None:
    data = {"metaData": {"description": "Outdoor gear"}, "contactEmails": {"count": 1, "value": ["a@b.example"]},
            "backlinks": {"count": 2, "value": ["x.example", "y.example"]}, "brandScore": 7}
    saved = save(api, admin, "advertisers", "gear.example", data)["advertiser"]
    agency = make_user(Role.AGENCY_MANAGER, None)
    response = api.get(f"{BASE}/advertisers/{saved['id']}", headers=agency.headers)
    assert response.status_code == 200, response.text
    record = response.json()["data"]["advertiser"]
    assert record["domain"] == "gear.example" and record["brandScore"] == 7
    assert record["metaData"] == {"description": "Outdoor gear", "faviconImageUrl": None, "screenshotImageUrl": None}
    assert record["contactEmails"] == data["contactEmails"] and record["backlinks"] == data["backlinks"]


def test_writing_a_known_domain_replaces_its_record_and_both_writes_are_audited(api, admin, sql) -> None:
    first = save(api, admin, "affiliates", "replace.example",
                 publisher("replace.example", relevance=1, partners=("old.example",)))["publisher"]
    second = save(api, admin, "affiliates", "replace.example",
                  publisher("replace.example", relevance=2, countries=("de",), partners=("new.example",)),
                  status=200)["publisher"]
    assert second["id"] == first["id"] and second["relevance"] == 2.0
    assert second["countryRankings"]["value"][0]["countryCode"] == "de"
    rows = sql("SELECT action, entity_id, organization_id, changes, actor_id FROM audit_log"
               " WHERE entity_type = 'analytics_publisher' ORDER BY audit_id")
    assert [r["action"] for r in rows] == ["analytics_publisher.create", "analytics_publisher.replace"]
    assert {r["entity_id"] for r in rows} == {str(first["id"])}
    assert rows[1]["changes"] == {"domain": "replace.example",
                                  "changed_keys": ["countryRankings", "partners", "relevance"]}
    assert rows[0]["organization_id"] is None and str(rows[0]["actor_id"]) == str(admin.user_id)
    # The search sees the replacement at once (the projection is kept by a trigger).
    assert domains(api.get(f"{SEARCH}?country=de", headers=admin.headers)) == ["replace.example"]
    assert domains(api.get(f"{SEARCH}?country=us", headers=admin.headers)) == []
    assert domains(api.get(f"{SEARCH}?partner_domains=new.example", headers=admin.headers)) == ["replace.example"]
    assert domains(api.get(f"{SEARCH}?partner_domains=old.example", headers=admin.headers)) == []


@pytest.mark.parametrize("role", [Role.PLATFORM_OWNER, Role.ADVERTISER_MANAGER, Role.AFFILIATE_MANAGER,
                                  Role.AGENCY_MANAGER, Role.USER])
def test_only_admin_writes_intelligence_data(api, make_user, make_org, sql, role) -> None:
    caller = make_user(role, make_org("advertiser"))
    for kind in ("advertisers", "affiliates"):
        response = api.post(f"{BASE}/{kind}", json={"domain": "nope.example", "data": {}}, headers=caller.headers)
        assert response.status_code == 403, response.text
    assert sql("SELECT count(*) AS n FROM analytics_publishers")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM analytics_advertisers")[0]["n"] == 0


def test_users_without_a_manager_role_cannot_read_it(api, make_user, make_org) -> None:
    user = make_user(Role.USER, make_org("advertiser"))
    assert api.get(f"{SEARCH}?country=us", headers=user.headers).status_code == 403
    assert api.get(f"{BASE}/autocomplete?q=abc", headers=user.headers).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"domain": "not a domain", "data": {}}, "domain"),
    ({"domain": "http://x.example/", "data": {}}, "domain"),
    ({"domain": "x.example"}, "data"),
    ({"domain": "x.example", "data": []}, "data"),
    ({"domain": "x.example", "data": {"domain": "y.example"}}, "data"),
    ({"domain": "x.example", "data": {"relevance": -1}}, "data.relevance"),
    ({"domain": "x.example", "data": {"relevance": "5"}}, "data.relevance"),
    ({"domain": "x.example", "data": {"known": {"value": "yes"}}}, "data.known.value"),
    ({"domain": "x.example", "data": {"metaData": {"logo": "x"}}}, "data.metaData.logo"),
    ({"domain": "x.example", "data": {"countryRankings": {"value": [{"countryCode": "usa"}]}}},
     "data.countryRankings.value.0.countryCode"),
    ({"domain": "x.example", "data": {"partners": {"value": [3]}}}, "data.partners.value.0"),
    ({"domain": "x.example", "data": {"verticalsV2": {"value": [{"rank": 1}]}}}, "data.verticalsV2.value.0.name"),
    ({"domain": "x.example", "data": {"keywords": "many"}}, "data.keywords"),
    ({"domain": "x.example", "data": {}, "extra": 1}, "extra"),
])
def test_invalid_publisher_writes_answer_422_with_the_field(api, admin, sql, body, field) -> None:
    response = api.post(f"{BASE}/affiliates", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert any(d["field"].startswith(field) for d in error["details"]), error
    assert sql("SELECT count(*) AS n FROM analytics_publishers")[0]["n"] == 0


def test_missing_records_answer_404(api, reader) -> None:
    for path in (f"{BASE}/advertisers/999", f"{BASE}/affiliates/999", f"{BASE}/affiliates/domain/unknown.example",
                 f"{BASE}/advertisers/0", f"{BASE}/affiliates/abc"):
        response = api.get(path, headers=reader.headers)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"


# --- autocomplete ------------------------------------------------------------------------------------

def test_autocomplete_ranks_prefix_matches_then_shorter_domains_then_alphabetically(api, admin, reader) -> None:
    for domain in ("mybikeshop.example", "bikes.example", "bike.example", "ebike.example", "bikeparts.example"):
        save(api, admin, "affiliates", domain, {})
    save(api, admin, "advertisers", "bikebrand.example", {})
    save(api, admin, "advertisers", "car.example", {})
    response = api.get(f"{BASE}/autocomplete?q=BIKE", headers=reader.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [d["domain"] for d in data] == ["bike.example", "bikes.example", "bikebrand.example",
                                           "bikeparts.example", "ebike.example", "mybikeshop.example"]
    assert {d["type"] for d in data} == {"advertiser", "publisher"}
    assert all(d["name"] == d["domain"] and d["id"] > 0 for d in data)
    only = api.get(f"{BASE}/autocomplete?q=bike&type=advertiser", headers=reader.headers).json()["data"]
    assert [(d["domain"], d["type"]) for d in only] == [("bikebrand.example", "advertiser")]
    publishers = api.get(f"{BASE}/autocomplete?q=bike&type=publisher&limit=2", headers=reader.headers).json()
    assert [d["domain"] for d in publishers["data"]] == ["bike.example", "bikes.example"]
    assert api.get(f"{BASE}/autocomplete?q=bike&type=", headers=reader.headers).json()["data"] == data


def test_autocomplete_limit_defaults_to_10_and_is_lowered_to_50(api, reader) -> None:
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.intelligence.add_publishers([(f"shop{i:02d}.example", publisher_columns({})) for i in range(60)])
        uow.commit()
    suggest = lambda extra="": api.get(f"{BASE}/autocomplete?q=shop{extra}", headers=reader.headers)  # noqa: E731
    assert len(suggest().json()["data"]) == 10
    assert len(suggest("&limit=100").json()["data"]) == 50
    assert len(suggest("&limit=3").json()["data"]) == 3


@pytest.mark.parametrize(("query", "field"), [
    ("", "q"), ("q=ab", "q"), ("q=%20ab%20", "q"), ("q=a%25b", "q"), ("q=abc&type=network", "type"),
    ("q=abc&limit=0", "limit"), ("q=abc&limit=x", "limit"),
])
def test_autocomplete_refuses_short_text_and_bad_parameters(api, reader, query, field) -> None:
    response = api.get(f"{BASE}/autocomplete?{query}", headers=reader.headers)
    assert response.status_code == 422, response.text
    assert any(d["field"] == field for d in response.json()["error"]["details"])


# --- search ------------------------------------------------------------------------------------------

@pytest.fixture
def catalogue(api, admin) -> None:
    """Seven publishers whose order is fixed by the ranking rules (see docs/decisions.md)."""
    rows = [
        ("shoes.example", dict(countries=("us", "gb"), partners=("nike.example",), verticals=("Fashion",),
                               partner_count=40)),
        ("bestshoes.example", dict(countries=("us",), partners=("nike.example", "adidas.example"),
                                   verticals=("Fashion", "Sports / Outdoor"), partner_count=5)),
        ("shoesdaily.example", dict(countries=("de",), partners=("adidas.example",), verticals=("Fashion",),
                                    partner_count=90, relevance=3)),
        ("runclub.example", dict(countries=("US",), partners=("nike.example",), verticals=("sports / outdoor",),
                                 partner_count=90, relevance=9)),
        ("trailrun.example", dict(countries=("us",), partners=(), verticals=("Sports / Outdoor",),
                                  partner_count=90, relevance=9, traffic=50)),
        ("aardvarkrun.example", dict(countries=("us",), partners=(), verticals=("Sports / Outdoor",),
                                     partner_count=90, relevance=9, traffic=50)),
        ("gadgets.example", dict(countries=("fr",), partners=("apple.example",), verticals=("Technology",))),
    ]
    for domain, options in rows:
        save(api, admin, "affiliates", domain, publisher(domain, **options))


def test_without_filters_publishers_rank_by_partners_relevance_traffic_then_domain(api, reader, catalogue) -> None:
    response = api.get(SEARCH, headers=reader.headers)
    assert domains(response) == ["aardvarkrun.example", "trailrun.example", "runclub.example", "shoesdaily.example",
                                 "shoes.example", "bestshoes.example", "gadgets.example"]
    body = response.json()
    assert (body["total"], body["total_is_lower_bound"], body["page"], body["offset"], body["page_size"]) == (
        7, False, 1, 10, 10)
    assert response.headers["X-Total-Count"] == "7"


def test_domain_filter_is_a_substring_ranked_exact_then_prefix_then_the_rest(api, reader, catalogue) -> None:
    assert domains(api.get(f"{SEARCH}?domain=Shoes.example", headers=reader.headers)) == [
        "shoes.example", "bestshoes.example"]
    assert domains(api.get(f"{SEARCH}?domain=shoes", headers=reader.headers)) == [
        "shoesdaily.example", "shoes.example", "bestshoes.example"]
    assert domains(api.get(f"{SEARCH}?domain=un", headers=reader.headers)) == [
        "aardvarkrun.example", "trailrun.example", "runclub.example"]


def test_country_partner_and_vertical_filters_are_case_insensitive_and_combine_with_and(
        api, reader, catalogue) -> None:
    assert domains(api.get(f"{SEARCH}?country=US&verticals=Fashion", headers=reader.headers)) == [
        "shoes.example", "bestshoes.example"]
    assert domains(api.get(f"{SEARCH}?country=us&partner_domains=NIKE.example", headers=reader.headers)) == [
        "runclub.example", "shoes.example", "bestshoes.example"]
    assert domains(api.get(f"{SEARCH}?country=gb&partner_domains=adidas.example", headers=reader.headers)) == []
    unknown = api.get(f"{SEARCH}?partner_domains=nobody.example", headers=reader.headers)
    assert domains(unknown) == [] and unknown.json()["total"] == 0
    assert domains(api.get(f"{SEARCH}?partner_domains=nobody.example,nike.example", headers=reader.headers)) == [
        "runclub.example", "shoes.example", "bestshoes.example"]
    assert domains(api.get(f"{SEARCH}?verticals=SPORTS%20/%20OUTDOOR&domain=run", headers=reader.headers)) == [
        "runclub.example", "aardvarkrun.example", "trailrun.example"]


def test_more_matched_partners_and_verticals_rank_first(api, reader, catalogue) -> None:
    both = f"{SEARCH}?partner_domains=nike.example,adidas.example"
    assert domains(api.get(both, headers=reader.headers)) == [
        "bestshoes.example", "runclub.example", "shoesdaily.example", "shoes.example"]
    verticals = f"{SEARCH}?verticals=Fashion,Sports%20/%20Outdoor"
    assert domains(api.get(verticals, headers=reader.headers))[:1] == ["bestshoes.example"]


def test_post_keeps_the_original_body_and_query_paging_overrides_it(api, reader, catalogue) -> None:
    body = {"country": "us", "verticals": ["Sports / Outdoor"], "page": 2, "offset": 2}
    response = api.post(SEARCH, json=body, headers=reader.headers)
    assert domains(response) == ["runclub.example", "bestshoes.example"]
    assert (response.json()["page"], response.json()["offset"], response.json()["total"]) == (2, 2, 4)
    assert response.headers["X-Total-Pages"] == "2"
    overridden = api.post(f"{SEARCH}?page=1&pageSize=3", json=body, headers=reader.headers)
    assert domains(overridden) == ["aardvarkrun.example", "trailrun.example", "runclub.example"]
    paged = api.get(f"{SEARCH}?page=3&page_size=3", headers=reader.headers)
    assert domains(paged) == ["gadgets.example"]
    assert domains(api.get(f"{SEARCH}?page=9", headers=reader.headers)) == []


def test_page_size_past_the_cap_is_lowered_to_100(api, reader) -> None:
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.intelligence.add_publishers([(f"p{i:03d}.example", publisher_columns({})) for i in range(120)])
        uow.commit()
    response = api.get(f"{SEARCH}?pageSize=500", headers=reader.headers)
    assert len(domains(response)) == 100
    assert (response.json()["page_size"], response.json()["total"]) == (100, 120)


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("GET", f"{SEARCH}?country=usa", None, "country"),
    ("GET", f"{SEARCH}?domain=a%25b", None, "domain"),
    ("GET", f"{SEARCH}?page=0", None, "page"),
    ("GET", f"{SEARCH}?partner_domains=" + ",".join(f"p{i}.example" for i in range(21)), None, "partner_domains"),
    ("POST", SEARCH, {"verticals": [f"v{i}" for i in range(21)]}, "verticals"),
    ("POST", SEARCH, {"partner_domains": "nike.example"}, "partner_domains"),
    ("POST", SEARCH, {"country": "1"}, "country"),
    ("POST", SEARCH, {"offset": 0}, "offset"),
    ("POST", SEARCH, {"sort": "domain"}, "sort"),
])
def test_invalid_searches_answer_422(api, reader, method, path, body, field) -> None:
    response = api.request(method, path, json=body, headers=reader.headers)
    assert response.status_code == 422, response.text
    assert any(d["field"] == field for d in response.json()["error"]["details"])


# --- lookups for other areas -------------------------------------------------------------------------

def test_the_query_grams_are_those_the_database_indexes(env, sql) -> None:
    for text, n in (("Bike.co", 3), ("abab", 2), ("xy", 3)):
        assert sorted(sql("SELECT intel_grams(:t, :n) AS g", t=text, n=n)[0]["g"]) == grams(text, n)


def test_publisher_lookups_by_domain(api, admin, env) -> None:
    save(api, admin, "affiliates", "known.example", publisher("known.example"))
    with UnitOfWork(TenantScope.only(1)) as uow:
        assert uow.intelligence.publisher_exists("known.example")
        assert not uow.intelligence.publisher_exists("unknown.example")
        found = uow.intelligence.publishers_by_domain(["known.example", "unknown.example", "known.example"])
        assert uow.intelligence.publishers_by_domain([]) == {}
    assert list(found) == ["known.example"]
    assert found["known.example"].columns["promotype"] == "blog"
