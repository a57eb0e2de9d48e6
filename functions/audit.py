"""audit-api: the append-only record of every write, filtered and paged."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.http.router import Call, Reply, Router, page_headers
from shared.repositories.audit import AuditFilter
from shared.schemas.audit import AuditQuery, AuditRead
from shared.services.audit import list_audit_log

router = Router("audit-api", tag="Audit log")


@router.route("GET", "/api/v1/audit-log", action="audit.read", query=AuditQuery, response=list[AuditRead],
              paged=True, summary="Audit log of your organization (Admin and PlatformOwner: all)")
def list_(call: Call) -> Reply:
    result = list_audit_log(AuditFilter(**call.query.model_dump()), call.page, uow=UnitOfWork(call.actor.scope))
    return Reply([AuditRead.model_validate(r) for r in result.items], headers=page_headers(result))


@functions_framework.http
def audit_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
