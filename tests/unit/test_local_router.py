from __future__ import annotations

from functions.local.router import PathRouter, prefix_matches


def test_prefixes_match_whole_segments_and_stars_match_one_segment() -> None:
    assert prefix_matches("/api/v1/organizations", "/api/v1/organizations/7")
    assert not prefix_matches("/api/v1/organizations", "/api/v1/organizationsX")
    assert prefix_matches("/api/v1/organizations/*/advertisers", "/api/v1/organizations/7/advertisers")
    assert not prefix_matches("/api/v1/organizations/*/advertisers", "/api/v1/organizations/7")


def test_the_most_specific_prefix_wins() -> None:
    def app(name: str):
        def serve(environ, start_response):
            start_response("200 OK", [])
            return [name.encode()]
        return serve

    router = PathRouter({"/api/v1/organizations": app("orgs"),
                         "/api/v1/organizations/*/advertisers": app("advertisers")}, health=app("health"))

    def call(path: str) -> bytes:
        return b"".join(router({"PATH_INFO": path}, lambda status, headers: None))

    assert call("/api/v1/organizations/7/advertisers") == b"advertisers"
    assert call("/api/v1/organizations/7") == b"orgs"
    assert call("/health") == b"health"
    assert b"not_found" in call("/elsewhere")
