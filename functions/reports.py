"""reports-api: performance summaries, time series, daily rows, conversions and clicks, as JSON or CSV."""

from __future__ import annotations

import flask
import functions_framework

from shared.http.router import Router

router = Router("reports-api", tag="Reports")


@functions_framework.http
def reports_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
