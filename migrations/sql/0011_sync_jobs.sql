-- Resumable sync-all jobs: what a job covers, how far it got (the cursor) and its progress counters.
-- A run holds a session advisory lock on its job, so a killed run frees the job at once and a rerun
-- continues after `cursor_id`; one unfinished job per kind and provider at a time.

CREATE TABLE sync_jobs (
    sync_job_id   BIGSERIAL    PRIMARY KEY,
    kind          VARCHAR(20)  NOT NULL CHECK (kind IN ('advertiser', 'affiliate', 'campaign')),
    provider_type VARCHAR(50)  NOT NULL DEFAULT 'everflow' CHECK (provider_type IN ('everflow')),
    status        VARCHAR(20)  NOT NULL DEFAULT 'queued'
                               CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    total         INTEGER      NOT NULL DEFAULT 0 CHECK (total >= 0),
    processed     INTEGER      NOT NULL DEFAULT 0 CHECK (processed >= 0),
    succeeded     INTEGER      NOT NULL DEFAULT 0 CHECK (succeeded >= 0),
    failed        INTEGER      NOT NULL DEFAULT 0 CHECK (failed >= 0),
    cursor_id     BIGINT       NOT NULL DEFAULT 0,  -- the last entity id processed (all before it are done)
    until_id      BIGINT       NOT NULL DEFAULT 0,  -- the last entity id the job covers, fixed when it starts
    last_error    TEXT,
    failures      JSONB        NOT NULL DEFAULT '[]'::jsonb,  -- the first failures: [{entity_id, error}]
    requested_by  UUID,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CHECK (processed = succeeded + failed),
    CHECK (jsonb_typeof(failures) = 'array')
);
CREATE UNIQUE INDEX uq_sync_jobs_one_unfinished ON sync_jobs (kind, provider_type)
    WHERE status IN ('queued', 'running');
CREATE INDEX idx_sync_jobs_created ON sync_jobs (created_at DESC);

-- System work only (Admin and PlatformOwner act across tenants too): no tenant ever sees a job.
ALTER TABLE sync_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY sync_jobs_system ON sync_jobs USING (app_cross_tenant()) WITH CHECK (app_cross_tenant());
GRANT SELECT, INSERT, UPDATE ON sync_jobs TO platform_app;
REVOKE DELETE ON sync_jobs FROM platform_app;  -- jobs are history; the default privileges would allow it
GRANT USAGE, SELECT ON SEQUENCE sync_jobs_sync_job_id_seq TO platform_app;
