"""What `make chaos` (everflow-faults) found: work lost to a transient failure must come back by itself."""

from __future__ import annotations

import pytest

from shared.adapters.everflow.sandbox import SandboxServer
from shared.db.pool import DatabaseUnavailable
from shared.domain.provider_mappings import EntityKind
from shared.services import everflow_sync
from shared.services.everflow_reconcile import requeue_links_without_url
from tests.tracking_link_rows import add_link, arrange_partners


@pytest.fixture
def sandbox(everflow: SandboxServer, env) -> SandboxServer:
    everflow.reset()
    yield everflow
    everflow.faults.reset()


def test_a_database_outage_during_a_sync_propagates_for_redelivery(sql, make_org, env, monkeypatch) -> None:
    """It used to be recorded as a permanent failure and the message acknowledged: the entity waited a day."""
    partners = arrange_partners(sql, make_org)

    def unavailable(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable()

    monkeypatch.setattr(everflow_sync, "_sync", unavailable)
    monkeypatch.setattr(everflow_sync, "_ensure_advertiser", lambda *args, **kwargs: 1)
    with pytest.raises(DatabaseUnavailable):
        everflow_sync.sync_entity(EntityKind.CAMPAIGN, partners.campaign_id)
    assert sql("SELECT count(*) AS n FROM outbox WHERE event_type = 'provider_mapping.sync_failed'") == [{"n": 0}]


def test_reconciliation_requeues_a_link_whose_url_was_never_generated(sql, make_org, sandbox, event_bus) -> None:
    """A link whose generation message was dead-lettered (Everflow down for long) had no way back to a URL."""
    partners = arrange_partners(sql, make_org)
    sql("UPDATE campaigns SET destination_url = 'https://acme.example/landing' WHERE campaign_id = :id",
        id=partners.campaign_id)
    waiting = add_link(sql, partners)
    archived = add_link(sql, partners, status="archived", sub1="old")
    assert requeue_links_without_url() == 1
    assert event_bus.wait_idle(30)
    urls = {row["id"]: row["url"] for row in sql("SELECT tracking_link_id AS id, tracking_url AS url"
                                                   " FROM tracking_links")}
    assert urls[waiting].startswith("https://trk.sandbox-everflow.test/")
    assert urls[archived] is None
    assert requeue_links_without_url() == 0
