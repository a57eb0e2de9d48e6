"""Drive schemathesis over every operation of the served document, once per role, and tally the failures.

Generation is seeded from (role, operation, mode), so a run is repeatable and the roles still get different
inputs. Failures are collected rather than raised: one bad operation must not hide the others, and Hypothesis
does not spend requests shrinking them.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import random
import threading
import time
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.local.seed import USERS, demo_user_id
from shared.auth.tokens import issue
from tests.fuzz.real_ids import Draw, RealIds, demo_accounts
from tests.fuzz.tenancy import LEAK_CHECK, TenantMap, cross_tenant_check

BUILT_IN_CHECKS: tuple[schemathesis.CheckFunction, ...] = (
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
)
FOREIGN_CHECK = "foreign_access"
CHECK_NAMES = (*(check.__name__ for check in BUILT_IN_CHECKS), LEAK_CHECK, FOREIGN_CHECK)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
REQUEST_TIMEOUT_S = 30
DOCUMENT_PATH = "/api/v1/openapi.json"
URI_TOO_LONG = 414
KEPT_EXAMPLES = 20  # failure descriptions kept per role, for the report
# Set by `python -m tests.fuzz` on Ctrl-C or SIGTERM. Hypothesis does not let a KeyboardInterrupt raised inside a
# generated case end the run, so the run stops between operations instead.
STOP = threading.Event()


@dataclass(frozen=True)
class Identity:
    """One demo user the fuzzer speaks for."""

    role: str
    user_id: uuid.UUID
    token: str


@dataclass
class RoleTally:
    role: str
    operations: int = 0
    requests: int = 0
    refused_by_server: int = 0  # 414: a generated query too long for the HTTP server's request line
    real_ids: int = 0  # requests whose path named existing objects (tests/fuzz/real_ids.py)
    foreign_ids: int = 0  # of those, requests naming another tenant's object
    real_2xx: int = 0  # of those, answered 2xx: real bodies for the leak check
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, check: str, case: schemathesis.Case, response: schemathesis.Response, detail: str) -> None:
        self.failures[check] += 1
        if len(self.examples) < KEPT_EXAMPLES:
            request = response.request
            body = request.body.decode(errors="replace") if isinstance(request.body, bytes) else request.body
            self.examples.append(f"{check}: {request.method} {request.path_url[:300]} body {str(body)[:300]!r}"
                                 f" -> {response.status_code} {response.content[:200]!r}: {detail[:600]}")


def demo_identities(jwt_secret: str) -> list[Identity]:
    """A token for each of the seed's users, one per role, signed with the platform's secret."""
    return [Identity(role.role_name, demo_user_id(email), issue(demo_user_id(email), jwt_secret, email=email))
            for role, email, _ in USERS]


def served_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI document the platform serves, as a client fetches it."""
    response = requests.get(f"{base_url}{DOCUMENT_PATH}", timeout=REQUEST_TIMEOUT_S)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def load_schema(document: dict[str, Any]) -> schemathesis.BaseSchema:
    """From the fetched dict, not `from_url`, which would leave the document's own operation out of the run."""
    return schemathesis.openapi.from_dict(document)


def operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    """Every operation of the document; one schemathesis cannot read fails the run rather than go unfuzzed."""
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


def fuzz_role(schema: schemathesis.BaseSchema, base_url: str, identity: Identity, tenants: TenantMap,
              examples: int) -> RoleTally:
    """Every operation, positive and negative inputs, `examples` of each, as one user."""
    tally = RoleTally(identity.role)
    checks = all_checks(tenants)
    started = time.perf_counter()
    with requests.Session() as session:
        call = _Call(base_url, session, identity, tenants, demo_accounts(tenants.fetch), checks, tally)
        for operation in operations(schema):
            if STOP.is_set():
                raise KeyboardInterrupt
            tally.operations += 1
            for mode in MODES:
                _fuzz_operation(operation, mode, examples, call)
    tally.seconds = time.perf_counter() - started
    return tally


def all_checks(tenants: TenantMap) -> tuple[schemathesis.CheckFunction, ...]:
    return (*BUILT_IN_CHECKS, cross_tenant_check(tenants))


def check_response(case: schemathesis.Case, response: schemathesis.Response,
                   checks: Iterable[schemathesis.CheckFunction], tally: RoleTally) -> None:
    """Run each check on its own, so the tally says which ones failed (one answer may fail several)."""
    if response.status_code == URI_TOO_LONG:  # the HTTP server's answer: the request never reached the platform
        tally.refused_by_server += 1
        return
    for check in checks:
        try:
            case.validate_response(response, checks=[check])
        except FailureGroup as group:
            detail = "; ".join(f"{failure.title}: {failure.message}" for failure in group.exceptions)
            tally.record(check.__name__, case, response, detail)


def check_foreign_access(case: schemathesis.Case, response: schemathesis.Response, draw: Draw, user_id: uuid.UUID,
                         tenants: TenantMap, tally: RoleTally) -> None:
    """A non-global caller naming another tenant's object must be refused: any 2xx is a failure, body or not."""
    tally.real_ids += 1
    tally.foreign_ids += bool(draw.foreign_owners)
    if not 200 <= response.status_code < 300:
        return
    tally.real_2xx += 1
    if draw.foreign_owners and tenants.foreign(user_id, draw.foreign_owners):
        tally.record(FOREIGN_CHECK, case, response,
                     f"organization(s) {sorted(draw.foreign_owners)} own the objects named, unrelated to the caller")


@dataclass(frozen=True)
class _Call:
    base_url: str
    session: requests.Session
    identity: Identity
    tenants: TenantMap
    protected: dict[str, frozenset[Any]]  # never rewritten through a real id (tests/fuzz/real_ids.py demo_accounts)
    checks: Iterable[schemathesis.CheckFunction]
    tally: RoleTally

    def __call__(self, case: schemathesis.Case, draw: Draw | None = None) -> None:
        if draw is not None:
            case.path_parameters = {**case.path_parameters, **draw.parameters}
        response = case.call(base_url=self.base_url, session=self.session, timeout=REQUEST_TIMEOUT_S,
                             headers={"Authorization": f"Bearer {self.identity.token}"})
        self.tally.requests += 1
        check_response(case, response, self.checks, self.tally)
        if draw is not None and response.status_code != URI_TOO_LONG:
            check_foreign_access(case, response, draw, self.identity.user_id, self.tenants, self.tally)

    def real_ids(self, operation: schemathesis.APIOperation) -> RealIds:
        """The objects the operation's path can name now (earlier operations of the run created and deleted some)."""
        names = [parameter.name for parameter in operation.path_parameters]
        return RealIds(self.tenants, self.identity.user_id, (operation.method, operation.path), names,
                       self.protected)


def _fuzz_operation(operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, examples: int,
                    call: _Call) -> None:
    """Every other positive case (the first included) names existing objects, alternately related and foreign."""
    seed = zlib.crc32(f"{call.identity.role} {operation.label} {mode.value}".encode())
    real = call.real_ids(operation) if mode is schemathesis.GenerationMode.POSITIVE else None
    numbers = itertools.count()

    def send(case: schemathesis.Case) -> None:
        number = next(numbers)
        if not real or number % 2:
            return call(case)
        return call(case, real.draw(random.Random(seed + number), foreign=(seed + number // 2) % 2 == 1))

    test = hypothesis.seed(seed)(hypothesis.settings(
        max_examples=examples, database=None, deadline=None, print_blob=False, derandomize=False,
        phases=[hypothesis.Phase.generate], suppress_health_check=list(hypothesis.HealthCheck),
    )(hypothesis.given(operation.as_strategy(generation_mode=mode))(send)))
    with contextlib.suppress(Unsatisfiable):  # nothing to negate (no parameters, no body): positive covered it
        test()
