"""Regression tests for what `make fuzz` found: each answer now matches the document, and none is a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import functions_framework
import pytest
from werkzeug.test import EnvironBuilder

from shared.config import get_settings
from shared.http.errors import error_body
from shared.http.openapi import openapi_document
from shared.http.router import Call, Router
from shared.schemas.audit import AuditQuery
from shared.schemas.common import StrictModel

router = Router("finding-api", tag="Test")
ONE = "/things/<int(min=1, max=100):thing_id>"


@router.route("GET", ONE, action=None, summary="read")
def read(call: Call) -> dict[str, int]:
    return {"thing_id": call.params["thing_id"]}


@router.route("DELETE", ONE, action=None, summary="delete")
def delete(call: Call) -> None:
    return None


def send(method: str, path: str) -> flask.Response:
    return router.dispatch(flask.Request(EnvironBuilder(method=method, path=path).get_environ()))


def test_an_id_out_of_range_is_404_for_every_method_not_a_405_naming_a_method_that_also_404s() -> None:
    assert send("GET", "/things/1000").status_code == 404
    assert send("DELETE", "/things/1000").status_code == 404  # werkzeug alone says 405, Allow: GET
    wrong_method = send("PUT", "/things/5")
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "DELETE, GET, HEAD")


def test_a_path_flask_cannot_route_answers_in_the_json_error_format() -> None:
    app = functions_framework.create_app(target="docs_api", source="main.py", signature_type="http")
    response = app.test_client().get("/api/v1/agency-delegations/%0A/accept")  # no `<path:path>` matches a newline
    assert (response.status_code, response.get_json()) == (404, error_body("not_found", "No such route."))


def test_every_field_error_names_its_type_as_the_document_requires() -> None:
    details = error_body("validation_failed", "no", [{"field": "amount", "location": "body", "message": "> 0"}])
    assert details["error"]["details"] == [{"type": "value_error", "field": "amount", "location": "body",
                                            "message": "> 0"}]
    provider = error_body("not_found", "no", {"param": "id"})  # a payment provider's facts stay as they are
    assert provider["error"]["details"] == {"param": "id"}


class Note(StrictModel):
    text: str
    metadata: dict[str, Any] = {}


@router.route("POST", "/notes", action=None, body=Note, query=AuditQuery, summary="store")
def store(call: Call) -> dict[str, str]:
    return {"stored": call.body.text}


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", "unit-test-secret-with-at-least-32-bytes!")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def post_note(body: Any, query: str = "") -> flask.Response:
    environ = EnvironBuilder(method="POST", path=f"/notes{query}", json=body).get_environ()
    return router.dispatch(flask.Request(environ))


@pytest.mark.parametrize(("body", "query", "field"), [
    ({"text": "a\u0000b"}, "", "text"),
    ({"text": "ok", "metadata": {"k": [{"deep": "x\u0000"}]}}, "", "metadata.k.0.deep"),
    ({"text": "ok", "metadata": {"key\u0000": 1}}, "", "metadata"),  # the key itself is not echoed
    ({"text": "ok"}, "?action=a%00b", "action"),
])
def test_a_nul_character_anywhere_in_the_input_is_a_422_not_a_database_error(body: Any, query: str,
                                                                              field: str) -> None:
    response = post_note(body, query)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == field


def test_text_that_merely_spells_a_nul_escape_is_accepted() -> None:
    assert post_note({"text": "\\u0000"}).status_code == 200


@router.route("GET", "/names/<name>", action=None, summary="a name the handler would look up")
def by_name(call: Call) -> dict[str, str]:
    return {"name": call.params["name"]}


def test_a_nul_in_the_path_is_no_route() -> None:
    assert send("GET", "/names/ab").status_code == 200
    assert send("GET", "/names/a%00b").status_code == 404


def test_an_organization_id_past_bigint_in_the_audit_query_is_a_422() -> None:
    assert post_note({"text": "ok"}, "?organization_id=248355966632622530719902269964288").status_code == 422


def responses(method: str, path: str) -> set[str]:
    return set(openapi_document()["paths"][path][method]["responses"])


def test_the_document_lists_the_statuses_the_fuzzer_received() -> None:
    assert {"400", "401"} <= responses("post", "/api/v1/public/webhooks/supabase/new-user")
    assert "400" in responses("post", "/api/v1/public/webhooks/stripe")
    assert "401" in responses("post", "/api/v1/publisher-messaging/conversations/{conversation_id}/external-messages")
    assert "403" in responses("post", "/api/v1/public/organizations")
    assert {"400", "404", "409"} <= responses("post", "/api/v1/campaigns/{campaign_id}/activate")
    assert "404" in responses("get", "/api/v1/favorite-publisher-lists")  # ?organization_id= names an organization
    assert "400" in responses("get", "/api/v1/advertisers/{advertiser_id}")  # a malformed X-On-Behalf-Of
    assert "422" in responses("get", "/api/v1/advertisers/{advertiser_id}/provider-mappings/{provider_type}")
