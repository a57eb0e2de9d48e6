-- List pages served in index order, whatever the table's size (issue 4; docs/decisions.md).
--
-- A list reads its page with ORDER BY ... LIMIT/OFFSET and its total with a count capped at
-- 10,001 rows: both stop early when an index yields the rows in the list's order. Each sort key a
-- list offers (ties by id) and its status filter have such an index; a name search (`%text%`)
-- cannot have one and still reads the tenant's rows until it has a page.

-- Advertisers and affiliates, ascending by default: by id (idx_*_org), of one status or by status,
-- by name, by creation, by last update; ties by id. Each also serves the descending order, read
-- backwards.
CREATE INDEX idx_advertisers_org_status_id ON advertisers (organization_id, status, advertiser_id);
CREATE INDEX idx_advertisers_org_name ON advertisers (organization_id, lower(name), advertiser_id);
CREATE INDEX idx_advertisers_org_created ON advertisers (organization_id, created_at, advertiser_id);
CREATE INDEX idx_advertisers_org_updated ON advertisers (organization_id, updated_at, advertiser_id);
DROP INDEX idx_advertisers_org_status;  -- a prefix of idx_advertisers_org_status_id

CREATE INDEX idx_affiliates_org_status_id ON affiliates (organization_id, status, affiliate_id);
CREATE INDEX idx_affiliates_org_name ON affiliates (organization_id, lower(name), affiliate_id);
CREATE INDEX idx_affiliates_org_created ON affiliates (organization_id, created_at, affiliate_id);
CREATE INDEX idx_affiliates_org_updated ON affiliates (organization_id, updated_at, affiliate_id);
DROP INDEX idx_affiliates_org_status;  -- a prefix of idx_affiliates_org_status_id

-- Campaigns, newest first by default: of an organization or of an advertiser, optionally of one
-- status; by id (idx_campaigns_org), status, name, last update, start or end date; ties by id. The
-- repository gives NOT NULL sort keys no NULLS clause, so those indexes serve both directions; the
-- dates may be NULL and sort NULLS LAST both ways, so their indexes serve the default (descending).
CREATE INDEX idx_campaigns_org_created ON campaigns (organization_id, created_at, campaign_id);
CREATE INDEX idx_campaigns_org_status_created ON campaigns (organization_id, status, created_at, campaign_id);
CREATE INDEX idx_campaigns_advertiser_created ON campaigns (advertiser_id, created_at, campaign_id);
CREATE INDEX idx_campaigns_org_status_id ON campaigns (organization_id, status, campaign_id);
CREATE INDEX idx_campaigns_org_name ON campaigns (organization_id, lower(name), campaign_id);
CREATE INDEX idx_campaigns_org_updated ON campaigns (organization_id, updated_at, campaign_id);
CREATE INDEX idx_campaigns_org_start ON campaigns (organization_id, start_date DESC NULLS LAST, campaign_id DESC);
CREATE INDEX idx_campaigns_org_end ON campaigns (organization_id, end_date DESC NULLS LAST, campaign_id DESC);

-- Tracking links, newest first: each side's links of one status (idx_tracking_links_org and
-- idx_tracking_links_affiliate_org serve the lists without one). The other side's column is
-- included because the tenant policy reads both: with it a count is an index-only scan.
CREATE INDEX idx_tracking_links_org_status ON tracking_links (organization_id, status, tracking_link_id)
    INCLUDE (affiliate_org_id);
CREATE INDEX idx_tracking_links_affiliate_org_status ON tracking_links (affiliate_org_id, status, tracking_link_id)
    INCLUDE (organization_id);

-- The tenant rule of these four tables, evaluated once per statement instead of once per row.
-- app_in_scope(org) is app_cross_tenant() OR org = ANY(<the scope's ids>); inlined into a policy,
-- both settings were read and the id list parsed again for every row a list or count scanned.
-- As uncorrelated sub-selects they become InitPlans, computed once per statement: the same rule
-- (current_setting is STABLE, so it cannot change within a statement) at a fraction of the cost.
-- WITH CHECK keeps app_in_scope: it sees one written row at a time. The ::BIGINT[] casts are
-- no-ops that make ANY take the sub-select as one array value, not as a set of rows.
CREATE FUNCTION app_organization_ids() RETURNS BIGINT[] LANGUAGE sql STABLE AS $$
    SELECT string_to_array(nullif(current_setting('app.organization_ids', true), ''), ',')::BIGINT[]
$$;

ALTER POLICY advertisers_tenant ON advertisers
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]));
ALTER POLICY affiliates_tenant ON affiliates
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]));
ALTER POLICY campaigns_tenant ON campaigns
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]));
ALTER POLICY tracking_links_sides ON tracking_links
    USING ((SELECT app_cross_tenant())
           OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[])
           OR affiliate_org_id = ANY ((SELECT app_organization_ids())::BIGINT[]));
