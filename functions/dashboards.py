"""dashboard-api: dashboards per organization type, their charts, campaigns and the platform's health."""

from __future__ import annotations

import flask
import functions_framework

from shared.http.router import Router

router = Router("dashboard-api", tag="Dashboards")


@functions_framework.http
def dashboard_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
