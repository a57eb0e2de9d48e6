"""The `make run` seed: users per role, and a catalogue that reaches Everflow through the usual events."""

from __future__ import annotations

from functions.local.seed import USERS, seed_demo_data
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.events.publisher import local_bus


def test_the_seed_creates_a_synced_catalogue_once(env, sql, everflow) -> None:
    users = seed_demo_data(UnitOfWork(TenantScope.everything()))
    assert local_bus().wait_idle(30)
    again = seed_demo_data(UnitOfWork(TenantScope.everything()))

    assert [user.email for user in users] == [email for _, email, _ in USERS]
    assert again == users
    assert sql("SELECT count(*) AS n FROM campaigns WHERE status = 'active'") == [{"n": 2}]
    synced = sql("SELECT count(*) AS n FROM campaign_provider_mappings WHERE provider_offer_id IS NOT NULL"
                 " UNION ALL SELECT count(*) FROM advertiser_provider_mappings WHERE provider_advertiser_id IS NOT NULL"
                 " UNION ALL SELECT count(*) FROM affiliate_provider_mappings WHERE provider_affiliate_id IS NOT NULL")
    assert [row["n"] for row in synced] == [2, 1, 1]
    links = sql("SELECT tracking_url FROM tracking_links ORDER BY tracking_link_id")
    assert len(links) == 2 and all(link["tracking_url"] for link in links)
    assert sql("SELECT status FROM organization_associations") == [{"status": "active"}]
    assert sql("SELECT status FROM agency_delegations") == [{"status": "active"}]
    intelligence = sql("SELECT count(*) AS n FROM analytics_publishers UNION ALL SELECT count(*) FROM"
                       " analytics_advertisers UNION ALL SELECT count(*) FROM analytics_publisher_search")
    assert [row["n"] for row in intelligence] == [2_000, 300, 2_000]
