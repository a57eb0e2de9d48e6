from __future__ import annotations

import io
import json
import logging

import flask
import pytest
from werkzeug.test import EnvironBuilder

from shared.auth.tokens import issue
from shared.domain.errors import Conflict
from shared.http.logs import JsonFormatter
from shared.http.router import Call, Reply, Router
from shared.schemas.common import Name, StrictModel

SECRET = "unit-test-secret-with-at-least-32-bytes!"


class Widget(StrictModel):
    name: Name
    size: int


router = Router("test-api", tag="Test")


@router.route("POST", "/widgets", action=None, body=Widget, status=201, summary="create")
def create_widget(call: Call) -> dict[str, object]:
    return {"name": call.body.name, "size": call.body.size}


@router.route("GET", "/widgets", action=None, paged=True, summary="list")
def list_widgets(call: Call) -> Reply:
    return Reply([], headers={"X-Page-Size": str(call.page.page_size)})


@router.route("GET", "/boom", action=None, summary="fails")
def boom(call: Call) -> None:
    raise RuntimeError("SELECT secret FROM internals")


@router.route("GET", "/conflict", action=None, summary="conflicts")
def conflict(call: Call) -> None:
    raise Conflict("Already there.")


@router.route("GET", "/private", action="organizations.read", summary="needs a user")
def private(call: Call) -> None:
    raise AssertionError("never reached without a valid token")


def send(method: str, path: str, **kwargs: object) -> flask.Response:
    environ = EnvironBuilder(method=method, path=path, **kwargs).get_environ()  # type: ignore[arg-type]
    return router.dispatch(flask.Request(environ))


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import get_settings

    monkeypatch.setenv("SUPABASE_JWT_SECRET", SECRET)
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def error_of(response: flask.Response) -> dict[str, object]:
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


def test_valid_body_reaches_the_handler_and_gets_the_route_status() -> None:
    response = send("POST", "/widgets", json={"name": " Gear ", "size": 3})
    assert response.status_code == 201
    assert response.get_json() == {"name": "Gear", "size": 3}


def test_malformed_json_is_a_400() -> None:
    response = send("POST", "/widgets", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


def test_another_content_type_is_a_415() -> None:
    response = send("POST", "/widgets", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_body_over_the_limit_is_a_413_even_without_content_length() -> None:
    big = json.dumps({"name": "x" * 4000, "size": 1})
    assert send("POST", "/widgets", data=big, content_type="application/json").status_code == 413
    environ = EnvironBuilder(method="POST", path="/widgets", input_stream=io.BytesIO(big.encode()),
                             content_type="application/json", headers={"Transfer-Encoding": "chunked"}).get_environ()
    environ["wsgi.input_terminated"] = True  # what gunicorn sets for a chunked body
    assert router.dispatch(flask.Request(environ)).status_code == 413


def test_validation_errors_name_each_field_without_echoing_input() -> None:
    response = send("POST", "/widgets", json={"name": "<script>alert(1)</script>", "size": "3", "extra": 1})
    assert response.status_code == 422
    error = error_of(response)
    fields = {d["field"]: d["type"] for d in error["details"]}
    assert fields == {"name": "value_error", "size": "int_type", "extra": "extra_forbidden"}
    assert "alert" not in response.get_data(as_text=True)


def test_a_300_character_name_is_refused() -> None:
    response = send("POST", "/widgets", json={"name": "n" * 300, "size": 1})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["type"] == "string_too_long"


def test_unknown_route_is_a_json_404_and_wrong_method_a_405_with_allow() -> None:
    assert error_of(send("GET", "/nothing"))["code"] == "not_found"
    response = send("DELETE", "/widgets")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_an_unexpected_error_is_a_generic_500_that_shows_no_internals(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = send("GET", "/boom")
    assert response.status_code == 500
    assert "SELECT" not in response.get_data(as_text=True)
    assert error_of(response) == {"code": "internal", "message": "Something went wrong on our side."}
    assert any("SELECT secret" in (r.exc_text or "") for r in caplog.records)


def test_domain_errors_keep_their_status_and_message() -> None:
    response = send("GET", "/conflict")
    assert response.status_code == 409
    assert error_of(response) == {"code": "conflict", "message": "Already there."}


@pytest.mark.parametrize("query", ["page=0", "page=abc", "pageSize=-1", "page_size=1e3", "page=99999999999"])
def test_bad_paging_is_a_422(query: str) -> None:
    assert send("GET", f"/widgets?{query}").status_code == 422


def test_page_size_is_capped_and_both_spellings_work() -> None:
    assert send("GET", "/widgets?pageSize=5000").headers["X-Page-Size"] == "100"
    assert send("GET", "/widgets?page_size=7").headers["X-Page-Size"] == "7"
    assert send("GET", "/widgets").headers["X-Page-Size"] == "10"


def test_every_response_has_a_request_id_and_security_headers() -> None:
    fresh = send("GET", "/widgets")
    assert len(fresh.headers["X-Request-Id"]) == 32
    assert fresh.headers["X-Content-Type-Options"] == "nosniff"
    kept = send("GET", "/widgets", headers={"X-Request-Id": "client-req-12345"})
    assert kept.headers["X-Request-Id"] == "client-req-12345"
    replaced = send("GET", "/widgets", headers={"X-Request-Id": "<bad id>"})
    assert len(replaced.headers["X-Request-Id"]) == 32


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(JsonFormatter().format(record)) for record in caplog.records]


def test_request_log_is_structured_for_cloud_logging(caplog: pytest.LogCaptureFixture) -> None:
    trace = "105445aa7843bc8bf206b12000100000/1;o=1"
    with caplog.at_level(logging.INFO):
        send("GET", "/widgets?page=2", headers={"X-Cloud-Trace-Context": trace})
    entry = logged(caplog)[-1]
    assert entry["severity"] == "INFO"
    assert entry["httpRequest"]["status"] == 200
    assert entry["httpRequest"]["latency"].endswith("s")
    assert entry["logging.googleapis.com/trace"] == "projects/demo-project/traces/105445aa7843bc8bf206b12000100000"


def test_traceparent_is_understood(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        send("GET", "/widgets", headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    entry = logged(caplog)[-1]
    assert entry["logging.googleapis.com/trace"] == "projects/demo-project/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Basic abc"}, "missing_token"),
        ({"Authorization": "Bearer not.a.jwt"}, "malformed_token"),
        ({"Authorization": "Bearer " + issue(__import__("uuid").uuid4(), SECRET, ttl_seconds=-120)}, "token_expired"),
        ({"Authorization": "Bearer " + issue(__import__("uuid").uuid4(), "another-secret-of-thirty-two-bytes!!")},
         "invalid_signature"),
    ],
)
def test_routes_with_an_action_answer_401_with_a_reason(headers: dict[str, str], reason: str) -> None:
    response = send("GET", "/private", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == reason
    assert f'error_description="{reason}"' in response.headers["WWW-Authenticate"]
