from __future__ import annotations

import flask
import pytest
from werkzeug.test import EnvironBuilder

from shared.http.router import Call, Router

router = Router("cors-test", tag="Test")


@router.route("GET", "/things", action=None, summary="list")
def things(call: Call) -> list[int]:
    return [1]


def send(method: str, path: str, headers: dict[str, str]) -> flask.Response:
    return router.dispatch(flask.Request(EnvironBuilder(method=method, path=path, headers=headers).get_environ()))


@pytest.fixture(autouse=True)
def allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import get_settings
    from shared.http.ratelimit import get_rate_limiter

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://app.example.com, https://admin.example.com/")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # the limiter falls back in-process
    get_settings.cache_clear()
    get_rate_limiter.cache_clear()
    yield
    get_settings.cache_clear()
    get_rate_limiter.cache_clear()


def test_a_listed_origin_gets_its_own_origin_back_with_credentials() -> None:
    response = send("GET", "/things", {"Origin": "https://admin.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Total-Count" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers.get_all("Vary")


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "https://app.example.com.evil.io", "*"])
def test_any_other_origin_gets_no_cors_headers_and_never_a_wildcard(origin: str) -> None:
    response = send("GET", "/things", {"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_names_the_routes_methods_for_a_listed_origin() -> None:
    response = send("OPTIONS", "/things", {"Origin": "https://app.example.com",
                                           "Access-Control-Request-Method": "GET"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_from_an_unlisted_origin_allows_nothing() -> None:
    response = send("OPTIONS", "/things", {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_of_an_unknown_path_is_404() -> None:
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    response = send("OPTIONS", "/nothing", preflight)
    assert response.status_code == 404
