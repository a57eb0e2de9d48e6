"""The OpenAPI 3.1 document, generated from the routers' metadata and the pydantic models."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import typing
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, JsonSchemaValue, models_json_schema
from werkzeug.routing import Map
from werkzeug.routing.converters import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter
from werkzeug.routing.rules import parse_converter_args

from functions.registry import http_functions
from shared.domain.agency_delegations import required_permission
from shared.http.router import Route, Router

TITLE = "Affiliate Backend Platform API"
API_VERSION = "1.0.0"
HEALTH_PATH = "/health"
HEALTH_TAG = "Health"
SCHEMAS = "#/components/schemas/"
# werkzeug's rule syntax: `<converter(arguments):name>`, converter and arguments optional
PATH_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>.*?)\))?:)?(?P<name>\w+)>")
MAX_DIGITS_NUMBER = 999_999_999  # shared.http.request refuses paging numbers of more than 9 digits

SchemaKey = tuple[type[BaseModel], JsonSchemaMode]
Refs = dict[tuple[type[Any], JsonSchemaMode], JsonSchemaValue]


@dataclasses.dataclass(frozen=True, eq=False)  # compared by identity: routes are hashed and a dict is not
class Content:
    """A response body that is no pydantic model (a page, an asset, a document): its media types and schema."""

    media_types: tuple[str, ...]
    schema: dict[str, Any] = dataclasses.field(default_factory=lambda: {"type": "string"})


class FieldError(BaseModel):
    field: str = Field(description="The offending field, dotted when nested.")
    location: str = Field(description="Where the field was read from.", examples=["body", "query"])
    message: str
    type: str = Field(description="A machine-readable reason.", examples=["missing", "int_parsing"])


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable, machine-readable error code, such as `not_found`.")
    message: str = Field(description="A message safe to show to a person.")
    details: list[FieldError] | dict[str, Any] | None = Field(
        default=None, description="The field errors of a validation failure; facts (`code`, `param`, ...) of a"
                                  " payment provider's refusal.")


class Error(BaseModel):
    """The one error format of the API."""

    error: ErrorInfo


class HealthReport(BaseModel):
    """What `GET /health` answers (see shared.http.health): the database is required, the cache optional."""

    status: Literal["UP", "DOWN"]
    database: Literal["up", "down"]
    cache: Literal["up", "down"]


@dataclasses.dataclass(frozen=True)
class ErrorResponse:
    name: str
    description: str
    headers: dict[str, Any] = dataclasses.field(default_factory=dict)


ERROR_RESPONSES = {
    400: ErrorResponse("BadRequest", "The body is not valid JSON, a header is malformed or a business rule refuses"
                                     " the request."),
    401: ErrorResponse("Unauthenticated", "The bearer token is missing, expired or invalid.", {
        "WWW-Authenticate": {"description": "Why the token was refused.", "schema": {"type": "string"}},
    }),
    403: ErrorResponse("Forbidden", "The caller's role does not allow this."),
    404: ErrorResponse("NotFound", "No such resource (or it belongs to another organization)."),
    409: ErrorResponse("Conflict", "The resource's current state does not allow this, or it already exists."),
    413: ErrorResponse("PayloadTooLarge", "The body exceeds the size limit."),
    415: ErrorResponse("UnsupportedMediaType", "The body is not sent as application/json."),
    422: ErrorResponse("ValidationFailed", "The request is not valid; `details` lists the fields."),
    429: ErrorResponse("TooManyRequests", "Too many requests; retry later.", {
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 0}},
    }),
    500: ErrorResponse("InternalError", "Something went wrong on the server; nothing internal is revealed."),
    503: ErrorResponse("ServiceUnavailable", "A dependency (database, cache) is unavailable."),
}
PAGE_NUMBER = {"type": "integer", "minimum": 1, "maximum": MAX_DIGITS_NUMBER}
PAGING_PARAMETERS = {
    "page": {"name": "page", "in": "query", "description": "The page to return, from 1.",
             "schema": {**PAGE_NUMBER, "default": 1}},
    "pageSize": {"name": "pageSize", "in": "query", "description": "Items per page; larger sizes are capped.",
                 "schema": {**PAGE_NUMBER, "default": 10}},
    "page_size": {"name": "page_size", "in": "query", "description": "The same as `pageSize` (read when it is absent).",
                  "schema": {**PAGE_NUMBER, "default": 10}},
}
PAGE_HEADERS = {
    "X-Total-Count": {"description": "Items across all pages.", "schema": {"type": "integer", "minimum": 0}},
    "X-Page": {"description": "This page's number.", "schema": {"type": "integer", "minimum": 1}},
    "X-Page-Size": {"description": "Items per page.", "schema": {"type": "integer", "minimum": 1}},
    "X-Total-Pages": {"description": "Number of pages.", "schema": {"type": "integer", "minimum": 0}},
}
BEARER_AUTH = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A Supabase access token."}


def load_routers() -> list[Router]:
    """The router of every HTTP function, in registry order."""
    routers: list[Router] = [importlib.import_module(spec.module).router for spec in http_functions()]
    return routers


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The document of every deployed HTTP function, built on first use and kept for the process."""
    return build_openapi(load_routers())


def build_openapi(routers: Iterable[Router]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routers`; the health check every router carries is documented once."""
    pairs = [(router, route) for router in routers for route in router.routes]
    routes = [(router, route) for router, route in pairs if route.path != HEALTH_PATH]
    refs, schemas = _schemas([route for _, route in routes])
    tags = dict.fromkeys([route.tag or router.tag for router, route in routes] + [HEALTH_TAG])
    document = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": API_VERSION},
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in tags],
        "paths": _paths(pairs, refs, schemas),
        "components": _components(refs, schemas),
    }
    _drop_query_models(document, {route.query for _, route in routes if route.query is not None}, refs)
    return document


def _paths(pairs: list[tuple[Router, Route]], refs: Refs, schemas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    health = [route for _, route in pairs if route.path == HEALTH_PATH]
    if health:
        _add(paths, health[0], _health_operation(health[0], refs))
    for router, route in pairs:
        if route.path != HEALTH_PATH:
            _add(paths, route, _operation(router, route, refs, schemas))
    return paths


def _add(paths: dict[str, dict[str, Any]], route: Route, operation: dict[str, Any]) -> None:
    path, method = openapi_path(route.path), route.method.lower()
    if method in paths.get(path, {}):
        raise ValueError(f"{route.method} {path} is registered twice")
    if any(other["operationId"] == operation["operationId"] for item in paths.values() for other in item.values()):
        raise ValueError(f"two routes are named {operation['operationId']}")
    paths.setdefault(path, {})[method] = operation


def openapi_path(path: str) -> str:
    """`/a/<int(min=1):a_id>` becomes `/a/{a_id}`."""
    return PATH_VARIABLE.sub(lambda match: "{" + match["name"] + "}", path)


def _schemas(routes: list[Route]) -> tuple[Refs, dict[str, Any]]:
    """Every model's schema in one namespace; a model that differs by mode gets `-Input` and `-Output`."""
    keys: list[SchemaKey] = [(Error, "serialization"), (HealthReport, "serialization")]
    for route in routes:
        keys += [(model, "validation") for model in (route.body, route.query) if model is not None]
        response_model = _response_model(route.response)
        if response_model is not None:
            keys.append((response_model, "serialization"))
    key_map, definitions = models_json_schema(list(dict.fromkeys(keys)), ref_template=SCHEMAS + "{model}")
    refs: Refs = {key: ref for key, ref in key_map.items()}
    return refs, dict(definitions.get("$defs", {}))


def _response_model(response: Any) -> type[BaseModel] | None:
    if response is None or isinstance(response, Content):
        return None
    model = typing.get_args(response)[0] if typing.get_origin(response) is list else response
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model
    raise TypeError(f"cannot document the response type {response!r}")


def _operation(router: Router, route: Route, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": re.sub(r"\W+", "_", f"{router.name}_{route.handler.__name__}").strip("_"),
        "tags": [route.tag or router.tag],
        "summary": route.summary,
        "security": [] if route.action is None else [{"bearerAuth": []}],
    }
    if route.action is not None:
        operation["description"] = f"Requires the `{route.action}` permission."
    parameters = _path_parameters(route.path) + _query_parameters(route, refs, schemas) + _on_behalf(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        body_schema = refs[(route.body, "validation")]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    operation["responses"] = _success(route, refs) | _errors(route)
    return operation


def _on_behalf(route: Route) -> list[dict[str, Any]]:
    """The agency header, on routes an agency may use for an advertiser (naming the permission needed)."""
    permission = required_permission(route.action) if route.action else None
    if permission is None:
        return []
    return [{"name": "X-On-Behalf-Of", "in": "header", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
             "description": f"Agency managers: act for this advertiser organization under its delegation,"
                            f" which must grant `{permission.value}`{_export_note(route.action)}."}]


def _export_note(action: str | None) -> str:
    export = required_permission(action, export=True) if action else None
    if export is None or export is required_permission(action or ""):
        return ""
    return f" (`{export.value}` for `format=csv`)"


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": match["name"], "in": "path", "required": True, "schema": _converter_schema(match["converter"],
                                                                                            match["args"])}
        for match in PATH_VARIABLE.finditer(path)
    ]


def _converter_schema(name: str | None, arguments: str | None) -> dict[str, Any]:
    """The schema of what a werkzeug converter accepts, built from the converter itself."""
    positional, keywords = parse_converter_args(arguments) if arguments else ((), {})
    converter = Map.default_converters[name or "default"](Map(), *positional, **keywords)
    if isinstance(converter, IntegerConverter):
        minimum = converter.min if converter.min is not None or converter.signed else 0
        bounds = {"minimum": minimum, "maximum": converter.max}
        return {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}
    if isinstance(converter, FloatConverter):
        return {"type": "number"}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": list(positional)}
    return {"type": "string"}


def _query_parameters(route: Route, refs: Refs, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """One parameter per field of the query model (named by its alias), then the paging parameters."""
    paging = [{"$ref": f"#/components/parameters/{name}"} for name in PAGING_PARAMETERS] if route.paged else []
    if route.query is None:
        return paging
    model_schema = schemas[_component_name(refs[(route.query, "validation")])]
    required = set(model_schema.get("required", []))
    return [_query_parameter(name, field, name in required)
            for name, field in model_schema.get("properties", {}).items()] + paging


def _query_parameter(name: str, field: dict[str, Any], required: bool) -> dict[str, Any]:
    schema = {key: value for key, value in field.items() if key not in {"title", "description"}}
    if schema.get("default", "") is None:
        del schema["default"]  # an absent parameter, not the text "null"
    parameter = {"name": name, "in": "query", "required": required, "schema": schema}
    if "description" in field:
        parameter["description"] = field["description"]
    return parameter


def _success(route: Route, refs: Refs) -> dict[str, Any]:
    if route.response is None:
        status = 204 if route.status == 200 else route.status  # how the router renders an empty body
        return {str(status): {"description": HTTPStatus(status).phrase}}
    response: dict[str, Any] = {"description": HTTPStatus(route.status).phrase,
                                "content": _content(route.response, refs)}
    if route.paged:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in PAGE_HEADERS}
    return {str(route.status): response}


def _content(response: Any, refs: Refs) -> dict[str, Any]:
    if isinstance(response, Content):
        return {media_type: {"schema": response.schema} for media_type in response.media_types}
    model = _response_model(response)
    assert model is not None, "only called for routes with a response"
    schema = refs[(model, "serialization")]
    if typing.get_origin(response) is list:
        schema = {"type": "array", "items": schema}
    return {"application/json": {"schema": schema}}


def _errors(route: Route) -> dict[str, Any]:
    statuses = {429, 500, 503, *route.errors}
    if route.body is not None:
        statuses |= {400, 413, 415, 422}
    if route.query is not None or route.paged:
        statuses.add(422)
    if route.action is not None:
        statuses |= {401, 403}
    if route.action is not None and route.method != "GET":  # a business rule, a named resource, the current state
        statuses |= {400, 404, 409}
    if _on_behalf(route):
        statuses.add(400)  # a malformed X-On-Behalf-Of
    if PATH_VARIABLE.search(route.path) or _names_a_resource(route.query):
        statuses.add(404)
    return {str(status): _error_ref(status) for status in sorted(statuses)}


def _names_a_resource(query: type[BaseModel] | None) -> bool:
    """A query naming an organization, campaign, ... by id answers 404 when there is none the caller may see."""
    return query is not None and any(name.endswith("_id") for name in query.model_fields)


def _error_ref(status: int) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[status].name}"}


def _health_operation(route: Route, refs: Refs) -> dict[str, Any]:
    report = {"content": {"application/json": {"schema": refs[(HealthReport, "serialization")]}}}
    return {
        "operationId": "health",
        "tags": [HEALTH_TAG],
        "summary": route.summary,
        "description": "Every function answers it at its own `/health`.",
        "security": [],
        "responses": {
            "200": {"description": "The database is reachable.", **report},
            "503": {"description": "The database is not reachable.", **report},
            "500": _error_ref(500),
        },
    }


def _components(refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    error = {"application/json": {"schema": refs[(Error, "serialization")]}}
    responses = {
        reply.name: {"description": reply.description, "content": error} | ({"headers": reply.headers}
                                                                             if reply.headers else {})
        for reply in ERROR_RESPONSES.values()
    }
    return {
        "schemas": schemas,
        "responses": responses,
        "parameters": PAGING_PARAMETERS,
        "headers": PAGE_HEADERS,
        "securitySchemes": {"bearerAuth": BEARER_AUTH},
    }


def _drop_query_models(document: dict[str, Any], models: set[type[BaseModel]], refs: Refs) -> None:
    """A query model's fields became parameters; its own component stays only if something refers to it."""
    schemas = document["components"]["schemas"]
    names = {_component_name(refs[(model, "validation")]) for model in models}
    others = {name: schema for name, schema in schemas.items() if name not in names}
    used = set(_refs(document["paths"])) | set(_refs(others))
    for name in names - {ref.removeprefix(SCHEMAS) for ref in used}:
        del schemas[name]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _component_name(ref: JsonSchemaValue) -> str:
    return str(ref["$ref"]).removeprefix(SCHEMAS)
