"""docs-api: the OpenAPI document and a Swagger UI page whose assets are served from here (no CDN)."""

from __future__ import annotations

import functools
from importlib.resources.abc import Traversable
from typing import Any

import flask
import functions_framework
from swagger_ui_bundle import swagger_ui_path

from shared.domain.errors import NotFound
from shared.http.openapi import TITLE, Content, openapi_document
from shared.http.router import Call, Router

router = Router("docs-api", tag="Docs")
ASSETS_PATH = "/api/docs/assets"
INITIALIZER = "docs-init.js"
# the only files served: Swagger UI's own, from the swagger_ui_bundle package, and our initializer
SWAGGER_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
ASSET_CACHE_CONTROL = "public, max-age=86400"
# Swagger UI styles itself inline and draws icons from data: URLs; scripts only come from here
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{TITLE}</title>
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS_PATH}/{INITIALIZER}"></script>
</body>
</html>
"""
INITIALIZER_JS = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""
ASSET_TYPES = tuple(sorted(set(SWAGGER_ASSETS.values())))


@router.route("GET", "/api/v1/openapi.json", action=None, summary="This OpenAPI document",
              response=Content(("application/json",), {"type": "object"}))
def openapi(call: Call) -> dict[str, Any]:
    return openapi_document()


@router.route("GET", "/api/docs", action=None, summary="Browsable API documentation (Swagger UI)",
              response=Content(("text/html",)))
def page(call: Call) -> flask.Response:
    return flask.Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": PAGE_POLICY})


@router.route("GET", f"{ASSETS_PATH}/<path:name>", action=None, summary="A script, style sheet or icon of the page",
              response=Content(ASSET_TYPES))
def asset(call: Call) -> flask.Response:
    name = call.params["name"]
    if name == INITIALIZER:
        body, media_type = INITIALIZER_JS.encode(), "text/javascript"
    elif name in SWAGGER_ASSETS:
        body, media_type = _swagger_asset(name), SWAGGER_ASSETS[name]
    else:
        raise NotFound("No such asset.")
    return flask.Response(body, mimetype=media_type, headers={"Cache-Control": ASSET_CACHE_CONTROL})


@functools.cache
def _swagger_asset(name: str) -> bytes:
    """A whitelisted file of the bundled Swagger UI, read once per process."""
    folder: Traversable = swagger_ui_path  # the package ships no type hints
    return (folder / name).read_bytes()


@functions_framework.http
def docs_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
