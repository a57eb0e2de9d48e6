"""The search benchmark end to end at a tiny size: it seeds, serves every query kind, explains and reports."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.intelligence_search import queries, report_intelligence_search, run_intelligence_search
from benchmarks.servers import Platform
from shared.domain.roles import Role


def test_the_benchmark_runs_at_a_tiny_size_and_shows_the_indexes_it_used(env, make_user, make_org,
                                                                         tmp_path: Path) -> None:
    admin = make_user(Role.ADMIN, make_org("platform_owner"))
    bench = Platform(env=dict(os.environ), servers="test", admin_token=admin.token,
                     organization_id=admin.organization_id or 0, work_dir=tmp_path)
    result = run_intelligence_search(bench, publishers=400, advertisers=20, requests=3)
    assert [m.query.kind for m in result.measured] == [q.kind for q in queries(["a", "b"])]
    assert all(m.p50_ms > 0 and m.p95_ms >= m.p50_ms and m.scans for m in result.measured)
    by_kind = {m.query.kind: m for m in result.measured}
    # Which scans a tiny table gets is the planner's choice; that they are read from the plans is ours.
    assert "publisher_search" in " ".join(by_kind["country, rare (fi)"].scans)
    assert "publisher_search" in " ".join(by_kind["partner domain, 1"].scans)
    results = tmp_path / "RESULTS.md"
    body = report_intelligence_search(result, results)
    assert "<!-- BEGIN intelligence-search -->" in results.read_text()
    assert "| country, common (us) |" in body
