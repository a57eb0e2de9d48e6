"""The OpenAPI document is valid 3.1, complete and self-contained; the docs page serves it with local assets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask.testing
import functions_framework
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from pydantic import Field, computed_field
from swagger_ui_bundle import swagger_ui_path

from shared.http.openapi import build_openapi, load_routers
from shared.http.router import Call, Router
from shared.schemas.common import QueryModel, StrictModel

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


class Widget(StrictModel):
    name: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def slug(self) -> str:
        return self.name.lower()


class WidgetQuery(QueryModel):
    owner_id: int = Field(alias="ownerId", ge=1)


def widgets_router() -> Router:
    router = Router("widgets-api", tag="Widgets")

    @router.route("POST", "/api/v1/widgets", action="widgets.create", body=Widget, response=Widget, status=201,
                  summary="Create a widget")
    def create(call: Call) -> None:
        return None

    @router.route("GET", "/api/v1/widgets", action="widgets.list", query=WidgetQuery, response=list[Widget],
                  paged=True, summary="List widgets")
    def list_(call: Call) -> None:
        return None

    return router


@pytest.fixture(scope="module")
def routers() -> list[Router]:
    return load_routers()


@pytest.fixture(scope="module")
def document(routers: list[Router]) -> dict[str, Any]:
    return build_openapi(routers)


@pytest.fixture(scope="module")
def client() -> flask.testing.FlaskClient:
    app: flask.Flask = functions_framework.create_app("docs_api", str(ROOT / "main.py"))  # type: ignore[no-untyped-call]
    return app.test_client()


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(document: dict[str, Any], node: dict[str, Any]) -> Any:
    return resolve(document, node["$ref"]) if "$ref" in node else node


def operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document["paths"].values():
        yield from (operation for method, operation in item.items() if method in METHODS)


def parameters(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolved = [deref(document, parameter) for parameter in operation.get("parameters", [])]
    return {parameter["name"]: parameter for parameter in resolved}


def test_document_is_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Affiliate Backend Platform API"
    assert document["servers"] == [{"url": "/"}]


def test_every_registered_route_is_documented_with_its_method(routers: list[Router],
                                                              document: dict[str, Any]) -> None:
    for router in routers:
        for route in router.routes:
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", route.path)
            assert route.method.lower() in document["paths"].get(path, {}), f"{route.method} {path} is missing"
            assert document["paths"][path][route.method.lower()]["summary"] == route.summary


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = list(refs(document))
    assert any(ref.startswith("#/components/schemas/") for ref in found)
    for ref in found:
        assert resolve(document, ref) is not None


def test_operation_ids_are_unique_and_the_health_check_is_documented_once(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert ids.count("health") == 1
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "organizations_api_list" in ids


def test_paged_route_documents_page_and_page_size_and_paging_headers(document: dict[str, Any]) -> None:
    listing = document["paths"]["/api/v1/organizations"]["get"]
    params = parameters(document, listing)
    assert {"page", "pageSize", "page_size", "type", "include_archived"} <= params.keys()
    assert params["page"]["in"] == "query" and params["page"]["schema"]["minimum"] == 1
    ok = listing["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
    assert {"X-Total-Count", "X-Page", "X-Page-Size", "X-Total-Pages"} <= ok["headers"].keys()
    assert "422" in listing["responses"]


def test_int_path_parameter_carries_the_converter_bounds(document: dict[str, Any]) -> None:
    one = document["paths"]["/api/v1/organizations/{organization_id}"]
    schema = parameters(document, one["get"])["organization_id"]["schema"]
    assert schema == {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}
    assert "404" in one["get"]["responses"]


def test_authenticated_routes_need_a_bearer_token_and_public_routes_do_not(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    private = document["paths"]["/api/v1/organizations"]["post"]
    public = document["paths"]["/api/v1/public/organizations"]["post"]
    assert private["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= private["responses"].keys()
    assert public["security"] == []
    assert "401" not in public["responses"]  # 403 is documented: the sign-up refuses a platform_owner organization


def test_body_routes_document_their_body_and_its_errors(document: dict[str, Any]) -> None:
    create = document["paths"]["/api/v1/public/organizations"]["post"]
    body = create["requestBody"]
    assert body["required"] is True
    schema = resolve(document, body["content"]["application/json"]["schema"]["$ref"])
    assert "name" in schema["required"] and schema["additionalProperties"] is False
    assert {"201", "400", "413", "415", "422", "429", "500", "503"} <= create["responses"].keys()
    error = deref(document, create["responses"]["422"])["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert resolve(document, error["$ref"])["required"] == ["error"]


def test_a_route_without_a_response_model_answers_no_content(document: dict[str, Any]) -> None:
    archive = document["paths"]["/api/v1/organizations/{organization_id}"]["delete"]
    assert archive["responses"]["204"] == {"description": "No Content"}


def test_two_routes_with_one_operation_id_are_refused() -> None:
    router = widgets_router()
    router.route("PUT", "/api/v1/widgets", action="widgets.create", summary="Again")(router.routes[1].handler)
    with pytest.raises(ValueError, match="widgets_api_create"):
        build_openapi([router])


def test_query_aliases_name_parameters_and_modes_get_their_own_schemas() -> None:
    document = build_openapi([widgets_router()])
    validate(document, cls=OpenAPIV31SpecValidator)
    widgets = document["paths"]["/api/v1/widgets"]
    params = parameters(document, widgets["get"])
    assert params["ownerId"]["required"] is True and params["ownerId"]["schema"]["minimum"] == 1
    assert "owner_id" not in params
    request = widgets["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response = widgets["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "slug" not in resolve(document, request)["properties"]
    assert "slug" in resolve(document, response)["properties"]
    assert "WidgetQuery" not in document["components"]["schemas"]  # its fields became parameters


def test_openapi_document_is_served(client: flask.testing.FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "/api/v1/organizations" in response.get_json()["paths"]


def test_docs_page_is_served_with_every_asset_it_references(client: flask.testing.FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/api/docs/assets/swagger-ui-bundle.js" in assets and "/api/docs/assets/swagger-ui.css" in assets
    for url in assets:
        assert url.startswith("/api/docs/assets/"), f"{url} is not served by this function"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.mimetype in {"text/javascript", "text/css", "image/png"}
    script = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.get_data() == (swagger_ui_path / "swagger-ui-bundle.js").read_bytes()


@pytest.mark.parametrize("name", ["swagger-initializer.js", "swagger-ui-bundle.js.map", "../__init__.py",
                                  "../../../../etc/passwd", "%2e%2e/__init__.py"])
def test_only_whitelisted_assets_are_served(client: flask.testing.FlaskClient, name: str) -> None:
    response = client.get(f"/api/docs/assets/{name}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_bundled_swagger_ui_can_render_openapi_3_1() -> None:
    version = re.fullmatch(r"swagger-ui-(\d+)\.\d+\.\d+", swagger_ui_path.name)
    assert version is not None and int(version[1]) >= 5, "Swagger UI renders OpenAPI 3.1 from version 5"
