-- Exactly-once effects for at-least-once delivery: each subscriber claims a message id once.

CREATE TABLE processed_messages (
    subscriber   VARCHAR(100) NOT NULL,
    message_id   VARCHAR(200) NOT NULL,
    outcome      VARCHAR(20)  NOT NULL CHECK (outcome IN ('done', 'permanent_failure', 'skipped')),
    detail       TEXT,
    processed_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber, message_id)
);
CREATE INDEX idx_processed_messages_time ON processed_messages (processed_at);

-- Only system work (handlers, relay) touches it.
ALTER TABLE processed_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE processed_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY processed_messages_system ON processed_messages USING (app_cross_tenant())
    WITH CHECK (app_cross_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON processed_messages TO platform_app;
