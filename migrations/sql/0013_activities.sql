-- Each organization's activity feed (issue 6): what happened, in words, newest first.
--
-- Rows come from domain events (source 'event': one per event and organization, so an event that
-- is redelivered or published twice records once) or are tracked by a manager (source 'user', no
-- event id). Types are checked by the application: a new kind of activity needs no migration.

CREATE TABLE activities (
    activity_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE CASCADE,
    activity_type   VARCHAR(50)  NOT NULL CHECK (activity_type ~ '^[a-z][a-z0-9_]*$'),
    title           VARCHAR(255) NOT NULL CHECK (btrim(title) <> ''),
    description     TEXT,
    metadata        JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    actor_user_id   UUID,
    source          VARCHAR(10)  NOT NULL CHECK (source IN ('event', 'user')),
    event_id        VARCHAR(200),
    aggregate_type  VARCHAR(50),
    aggregate_id    VARCHAR(100),
    occurred_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CHECK ((source = 'event') = (event_id IS NOT NULL)),
    CONSTRAINT uq_activities_event UNIQUE (organization_id, event_id)
);
-- The feed, newest first, of all types or of some (ties by id, as the list orders them).
CREATE INDEX idx_activities_feed ON activities (organization_id, occurred_at DESC, activity_id DESC);
CREATE INDEX idx_activities_feed_type ON activities (organization_id, activity_type, occurred_at DESC,
                                                     activity_id DESC);

-- The tenant rule of the other tenant tables, in the form 0012 gives the listed ones (evaluated once
-- per statement); WITH CHECK sees one written row at a time.
ALTER TABLE activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE activities FORCE ROW LEVEL SECURITY;
CREATE POLICY activities_tenant ON activities
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));

-- A feed is history: rows are added, never rewritten (deleting stays possible for retention).
GRANT SELECT, INSERT, DELETE ON activities TO platform_app;
REVOKE UPDATE, TRUNCATE ON activities FROM platform_app;
GRANT USAGE, SELECT ON SEQUENCE activities_activity_id_seq TO platform_app;
