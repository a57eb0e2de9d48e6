"""A bounded `make fuzz` inside `make test`: every operation, every demo role, a few seeded cases each.

The platform is the e2e harness's live server on this test's database, seeded as `make run` seeds it;
the checks are the full run's (tests/fuzz/runner.py), and tests/unit/test_fuzz_checks.py shows each fails.
"""

from __future__ import annotations

from collections.abc import Callable

from functions.local.seed import seed_demo_data
from shared.adapters.everflow.sandbox import SandboxServer
from shared.adapters.stripe.sandbox import SandboxServer as StripeSandbox
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.domain.roles import Role
from tests.conftest import JWT_SECRET
from tests.fuzz.runner import demo_identities, fuzz_role, load_schema, operations, served_document
from tests.fuzz.tenancy import TenantMap

GLOBAL_ROLES = {Role.ADMIN.role_name, Role.PLATFORM_OWNER.role_name}  # they see every organization: none foreign
EXAMPLES = 1  # per operation, role and mode (positive, negative): about 1,900 requests, about a minute


def test_fuzzing_every_operation_as_every_role_finds_no_failure(
        live_server: str, sandbox: SandboxServer, stripe_sandbox: StripeSandbox,
        sql: Callable[..., list[dict[str, object]]]) -> None:
    seed_demo_data(UnitOfWork(TenantScope.everything()))
    schema = load_schema(served_document(live_server))
    tenants = TenantMap(sql)
    tallies = [fuzz_role(schema, live_server, identity, tenants, EXAMPLES) for identity in demo_identities(JWT_SECRET)]
    expected = len(operations(schema))
    assert [(t.role, t.operations) for t in tallies] == [(t.role, expected) for t in tallies]
    assert all(t.requests >= expected for t in tallies)
    # Real ids reached real objects, and every tenant-bound role tried other tenants' (tests/fuzz/real_ids.py).
    assert all(t.real_2xx for t in tallies), [(t.role, t.real_ids, t.real_2xx) for t in tallies]
    assert all(t.foreign_ids for t in tallies if t.role not in GLOBAL_ROLES), [(t.role, t.foreign_ids) for t in tallies]
    failures = {t.role: dict(t.failures) for t in tallies if t.failures}
    assert not failures, "\n".join([str(failures), *(example for t in tallies for example in t.examples)])
