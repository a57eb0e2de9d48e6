"""Matrix cases of the reports API: `organizationId` names the target organization (404 unless it is yours)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from tests.e2e.matrix import Case, Context, Request, tenant

REPORTS = "/api/v1/reports"
ROUTES = ("performance/summary", "performance/timeseries", "performance/daily", "conversions", "clicks")


def _report(route: str) -> Case:
    def build(ctx: Context) -> Request:
        ctx.fixture("everflow").reset()  # a platform owner reports on the whole (now empty) sandbox network
        day = dt.datetime.now(dt.UTC).date().isoformat()
        query = {"startDate": day, "endDate": day, "organizationId": ctx.target_org}
        return f"{REPORTS}/{route}?{urlencode(query)}", None
    return build, tenant(200)


CASES: dict[tuple[str, str], Case] = {("GET", f"{REPORTS}/{route}"): _report(route) for route in ROUTES}
