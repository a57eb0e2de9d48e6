"""activities-api: an organization's recent activity, and custom activities tracked by its managers."""

from __future__ import annotations

import flask
import functions_framework

from shared.http.router import Router

router = Router("activities-api", tag="Activities")


@functions_framework.http
def activities_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
