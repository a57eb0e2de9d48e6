-- Publisher outreach (issue 8): favourite publisher lists and conversations with publishers.
--
-- Tenant tables: every row carries its organization. Items and messages repeat their parent's
-- organization_id and reference the parent by (id, organization_id), so a row can never hang under
-- another tenant's list or conversation, and row-level security filters them without a join.
-- Publisher domains are lower-cased and trimmed (the form analytics_publishers keeps); they are not a
-- foreign key to the intelligence data, which is global and may not know every publisher yet.
--
-- Fixed from the original: only *active* conversations are unique per (organization, publisher), so
-- closed and archived ones never block a new conversation; an external message id is unique per
-- conversation, not globally (a global key would let one tenant's id collide with another's and reveal
-- that it exists); list items have updated_at.

CREATE TABLE favorite_publisher_lists (
    list_id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE CASCADE,
    name            VARCHAR(255) NOT NULL CHECK (btrim(name) <> ''),
    description     TEXT CHECK (length(description) <= 1000),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_favorite_lists_org_id UNIQUE (list_id, organization_id)  -- target of the children's keys
);
-- A name once per organization, whatever its case; also the index of the organization's lists by name.
CREATE UNIQUE INDEX uq_favorite_lists_name ON favorite_publisher_lists (organization_id, lower(name));
CREATE TRIGGER favorite_publisher_lists_updated_at BEFORE UPDATE ON favorite_publisher_lists
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

CREATE TABLE favorite_publisher_list_items (
    item_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list_id          BIGINT NOT NULL,
    organization_id  BIGINT NOT NULL,
    publisher_domain VARCHAR(255) NOT NULL CHECK (publisher_domain = lower(btrim(publisher_domain))
                                                  AND publisher_domain <> ''),
    notes            TEXT CHECK (length(notes) <= 1000),
    status           VARCHAR(20) NOT NULL DEFAULT 'added' CHECK (status IN ('added', 'contacted', 'accepted')),
    added_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fk_favorite_items_list FOREIGN KEY (list_id, organization_id)
        REFERENCES favorite_publisher_lists (list_id, organization_id) ON DELETE CASCADE,
    CONSTRAINT uq_favorite_items_domain UNIQUE (list_id, publisher_domain)
);
-- A list's items newest first; the organization's lists holding a domain (search).
CREATE INDEX idx_favorite_items_list ON favorite_publisher_list_items (list_id, added_at DESC, item_id DESC);
CREATE INDEX idx_favorite_items_domain ON favorite_publisher_list_items (organization_id, publisher_domain);
CREATE TRIGGER favorite_publisher_list_items_updated_at BEFORE UPDATE ON favorite_publisher_list_items
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

CREATE TABLE publisher_conversations (
    conversation_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id    BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE CASCADE,
    publisher_domain   VARCHAR(255) NOT NULL CHECK (publisher_domain = lower(btrim(publisher_domain))
                                                    AND publisher_domain <> ''),
    -- The list it started from; the application checks that the list is the organization's.
    list_id            BIGINT REFERENCES favorite_publisher_lists (list_id) ON DELETE SET NULL,
    subject            VARCHAR(500) NOT NULL CHECK (btrim(subject) <> ''),
    status             VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed', 'archived')),
    created_by_user_id UUID,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_message_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_conversations_org_id UNIQUE (conversation_id, organization_id)  -- target of messages' key
);
-- At most one active conversation per organization and publisher; closed and archived ones do not count.
CREATE UNIQUE INDEX uq_conversations_active ON publisher_conversations (organization_id, publisher_domain)
    WHERE status = 'active';
-- The organization's conversations, most recent activity first, of every status or of one.
CREATE INDEX idx_conversations_org_recent ON publisher_conversations
    (organization_id, last_message_at DESC, conversation_id DESC);
CREATE INDEX idx_conversations_org_status_recent ON publisher_conversations
    (organization_id, status, last_message_at DESC, conversation_id DESC);
CREATE INDEX idx_conversations_list ON publisher_conversations (list_id) WHERE list_id IS NOT NULL;
CREATE TRIGGER publisher_conversations_updated_at BEFORE UPDATE ON publisher_conversations
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

CREATE TABLE publisher_messages (
    message_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id     BIGINT NOT NULL,
    organization_id     BIGINT NOT NULL,
    sender_type         VARCHAR(20) NOT NULL CHECK (sender_type IN ('organization', 'publisher', 'system')),
    sender_id           VARCHAR(255),
    content             TEXT NOT NULL CHECK (content <> '' AND length(content) <= 5000),
    message_type        VARCHAR(20) NOT NULL DEFAULT 'text' CHECK (message_type IN ('text', 'system', 'notification')),
    external_message_id VARCHAR(255) CHECK (external_message_id <> ''),
    metadata            JSONB CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object'),
    sent_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id, organization_id)
        REFERENCES publisher_conversations (conversation_id, organization_id) ON DELETE CASCADE,
    -- Idempotency of the external-messages route; NULLs (our own messages) never collide.
    CONSTRAINT uq_messages_external UNIQUE (conversation_id, external_message_id)
);
-- A conversation's messages oldest first, and its message count.
CREATE INDEX idx_messages_conversation ON publisher_messages (conversation_id, sent_at, message_id);

-- A message moves its conversation's last activity forward (never back: an external message may
-- arrive with an older sent_at).
CREATE FUNCTION publisher_message_touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE publisher_conversations SET last_message_at = greatest(last_message_at, NEW.sent_at)
    WHERE conversation_id = NEW.conversation_id;
    RETURN NULL;
END $$;
CREATE TRIGGER publisher_messages_touch_conversation AFTER INSERT ON publisher_messages
    FOR EACH ROW EXECUTE FUNCTION publisher_message_touch_conversation();

-- The tenant rule of the other tenant tables (evaluated once per statement; WITH CHECK per row).
ALTER TABLE favorite_publisher_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE favorite_publisher_lists FORCE ROW LEVEL SECURITY;
CREATE POLICY favorite_publisher_lists_tenant ON favorite_publisher_lists
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE favorite_publisher_list_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE favorite_publisher_list_items FORCE ROW LEVEL SECURITY;
CREATE POLICY favorite_publisher_list_items_tenant ON favorite_publisher_list_items
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE publisher_conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE publisher_conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY publisher_conversations_tenant ON publisher_conversations
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE publisher_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE publisher_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY publisher_messages_tenant ON publisher_messages
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));

-- Lists, items and conversations are edited and deleted; a message, once sent, is never rewritten
-- (it goes only with its conversation).
GRANT SELECT, INSERT, UPDATE, DELETE ON favorite_publisher_lists, favorite_publisher_list_items,
    publisher_conversations TO platform_app;
GRANT SELECT, INSERT, DELETE ON publisher_messages TO platform_app;
REVOKE UPDATE, TRUNCATE ON publisher_messages FROM platform_app;
REVOKE TRUNCATE ON favorite_publisher_lists, favorite_publisher_list_items, publisher_conversations
    FROM platform_app;
GRANT USAGE, SELECT ON SEQUENCE favorite_publisher_lists_list_id_seq, favorite_publisher_list_items_item_id_seq,
    publisher_conversations_conversation_id_seq, publisher_messages_message_id_seq TO platform_app;
