-- Row-level security on every tenant table, and the append-only audit log.
--
-- The application connects, then switches to the NOLOGIN role platform_app (the `role` startup
-- parameter), so RLS applies even when the login role owns the tables or is a superuser. Each
-- transaction declares its scope with set_config(..., true): app.cross_tenant = 'on' for Admin,
-- PlatformOwner and system work, else app.organization_ids = '<id>,<id>' and app.user_id.
-- In Cloud SQL, grant platform_app to the IAM database user of the functions.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'platform_app') THEN
        CREATE ROLE platform_app NOLOGIN;
    END IF;
END $$;
GRANT platform_app TO CURRENT_USER;

CREATE FUNCTION app_cross_tenant() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.cross_tenant', true), '') = 'on'
$$;

CREATE FUNCTION app_in_scope(org BIGINT) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT app_cross_tenant()
        OR org = ANY (string_to_array(nullif(current_setting('app.organization_ids', true), ''), ',')::BIGINT[])
$$;

CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;

GRANT USAGE ON SCHEMA public TO platform_app;
GRANT SELECT ON roles TO platform_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, profiles, advertiser_extra_info, affiliate_extra_info
    TO platform_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO platform_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO platform_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO platform_app;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant ON organizations
    USING (app_in_scope(organization_id)) WITH CHECK (app_in_scope(organization_id));

ALTER TABLE advertiser_extra_info ENABLE ROW LEVEL SECURITY;
ALTER TABLE advertiser_extra_info FORCE ROW LEVEL SECURITY;
CREATE POLICY advertiser_extra_info_tenant ON advertiser_extra_info
    USING (app_in_scope(organization_id)) WITH CHECK (app_in_scope(organization_id));

ALTER TABLE affiliate_extra_info ENABLE ROW LEVEL SECURITY;
ALTER TABLE affiliate_extra_info FORCE ROW LEVEL SECURITY;
CREATE POLICY affiliate_extra_info_tenant ON affiliate_extra_info
    USING (app_in_scope(organization_id)) WITH CHECK (app_in_scope(organization_id));

-- A profile is visible to its own user and inside its organization's scope.
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY profiles_tenant ON profiles
    USING (app_in_scope(organization_id) OR id = app_user_id())
    WITH CHECK (app_in_scope(organization_id) OR (organization_id IS NULL AND id = app_user_id()));

CREATE TABLE audit_log (
    audit_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id        UUID,
    actor_role_id   INTEGER,
    organization_id BIGINT,
    on_behalf_of_organization_id BIGINT,
    action          VARCHAR(100) NOT NULL,
    entity_type     VARCHAR(50)  NOT NULL,
    entity_id       VARCHAR(100) NOT NULL,
    changes         JSONB NOT NULL DEFAULT '{}'::jsonb,
    request_id      VARCHAR(128),
    client_ip       INET
);
CREATE INDEX idx_audit_log_org_time ON audit_log (organization_id, occurred_at DESC);
CREATE INDEX idx_audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX idx_audit_log_actor ON audit_log (actor_id, occurred_at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM platform_app;
GRANT SELECT, INSERT ON audit_log TO platform_app;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT USING (app_in_scope(organization_id));
CREATE POLICY audit_log_append ON audit_log FOR INSERT WITH CHECK (true);

