-- Billing (issue 7): accounts, the append-only ledger, Stripe payments and payment methods, daily usage,
-- monthly invoices and every Stripe event we received.
--
-- Money is BIGINT minor units (cents) with an ISO currency. An account's balance changes only through a
-- ledger entry, written while the account row is locked (SELECT ... FOR UPDATE); every entry records the
-- balance before and after it, and its `entry_key` names the effect it books (`payment:<id>`,
-- `usage:<id>`, `refund:<charge>:<total>` ...), so the same effect can never be booked twice, whichever
-- path (webhook, synchronous answer, replay, a second job run) gets there first.
-- Organizations are never hard-deleted (RESTRICT): money history outlives an archived organization.

CREATE TABLE billing_accounts (
    billing_account_id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id               BIGINT NOT NULL UNIQUE REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    stripe_customer_id            VARCHAR(255) UNIQUE,
    billing_mode                  VARCHAR(20) NOT NULL DEFAULT 'prepaid' CHECK (billing_mode IN ('prepaid', 'postpaid')),
    currency                      CHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    balance_cents                 BIGINT NOT NULL DEFAULT 0,
    credit_limit_cents            BIGINT NOT NULL DEFAULT 0 CHECK (credit_limit_cents >= 0),
    default_payment_method_id     VARCHAR(255),
    auto_recharge_enabled         BOOLEAN NOT NULL DEFAULT false,
    auto_recharge_threshold_cents BIGINT NOT NULL DEFAULT 0 CHECK (auto_recharge_threshold_cents >= 0),
    auto_recharge_amount_cents    BIGINT NOT NULL DEFAULT 0 CHECK (auto_recharge_amount_cents >= 0),
    invoice_day_of_month          INTEGER NOT NULL DEFAULT 1 CHECK (invoice_day_of_month BETWEEN 1 AND 28),
    payment_terms_days            INTEGER NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 120),
    status                        VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    billing_email                 VARCHAR(255),
    billing_address               JSONB,
    tax_info                      JSONB,
    created_at                    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (NOT auto_recharge_enabled OR auto_recharge_amount_cents > 0)
);
CREATE TRIGGER billing_accounts_updated_at BEFORE UPDATE ON billing_accounts
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

-- Card and bank details as Stripe reports them (brand, last 4 digits); never a card number.
CREATE TABLE payment_methods (
    payment_method_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id          BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    billing_account_id       BIGINT NOT NULL REFERENCES billing_accounts (billing_account_id) ON DELETE RESTRICT,
    stripe_payment_method_id VARCHAR(255) NOT NULL UNIQUE,
    type                     VARCHAR(50) NOT NULL,
    brand                    VARCHAR(50),
    last4                    VARCHAR(4),
    exp_month                INTEGER,
    exp_year                 INTEGER,
    bank_name                VARCHAR(255),
    account_holder_type      VARCHAR(50),
    nickname                 VARCHAR(255),
    status                   VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_payment_methods_account ON payment_methods (billing_account_id, status);
CREATE TRIGGER payment_methods_updated_at BEFORE UPDATE ON payment_methods
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

-- A payment we asked Stripe for (a recharge, an automatic recharge). The row exists before the
-- PaymentIntent (its id is in the intent's metadata and idempotency key), so a webhook that overtakes
-- our own answer still finds it. Stripe state is applied only when newer (`stripe_updated`, the event's
-- `created`), and `succeeded`/`canceled` are final.
CREATE TABLE payments (
    payment_id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id          BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    billing_account_id       BIGINT NOT NULL REFERENCES billing_accounts (billing_account_id) ON DELETE RESTRICT,
    purpose                  VARCHAR(20) NOT NULL CHECK (purpose IN ('recharge', 'auto_recharge')),
    amount_cents             BIGINT NOT NULL CHECK (amount_cents > 0),
    currency                 CHAR(3) NOT NULL,
    idempotency_key          VARCHAR(255) NOT NULL,
    request_digest           VARCHAR(64) NOT NULL,
    stripe_payment_intent_id VARCHAR(255) UNIQUE,
    stripe_payment_method_id VARCHAR(255),
    stripe_charge_id         VARCHAR(255),
    status                   VARCHAR(20) NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'processing', 'requires_action', 'succeeded', 'failed',
                                               'canceled')),
    failure_code             VARCHAR(100),
    failure_message          TEXT,
    stripe_updated           BIGINT NOT NULL DEFAULT 0,
    description              TEXT,
    created_by               UUID,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_payments_idempotency UNIQUE (organization_id, idempotency_key)
);
CREATE INDEX idx_payments_account ON payments (billing_account_id, created_at DESC);
CREATE INDEX idx_payments_open ON payments (status, updated_at) WHERE status IN ('pending', 'processing', 'requires_action');
-- At most one automatic recharge in flight per account.
CREATE UNIQUE INDEX uq_payments_open_auto_recharge ON payments (billing_account_id)
    WHERE purpose = 'auto_recharge' AND status IN ('pending', 'processing', 'requires_action');
CREATE TRIGGER payments_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

-- The ledger (the original's `transactions`, with its JSON names): completed entries only, append-only.
CREATE TABLE transactions (
    transaction_id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id          BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    billing_account_id       BIGINT NOT NULL REFERENCES billing_accounts (billing_account_id) ON DELETE RESTRICT,
    type                     VARCHAR(50) NOT NULL
                             CHECK (type IN ('recharge', 'usage_charge', 'invoice_payment', 'refund', 'chargeback',
                                             'credit', 'debit', 'adjustment')),
    amount_cents             BIGINT NOT NULL CHECK (amount_cents <> 0),
    currency                 CHAR(3) NOT NULL,
    balance_before_cents     BIGINT NOT NULL,
    balance_after_cents      BIGINT NOT NULL,
    entry_key                VARCHAR(255) NOT NULL UNIQUE,
    reference_type           VARCHAR(50),
    reference_id             VARCHAR(255),
    stripe_payment_intent_id VARCHAR(255),
    stripe_invoice_id        VARCHAR(255),
    stripe_charge_id         VARCHAR(255),
    description              TEXT,
    metadata                 JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    status                   VARCHAR(20) NOT NULL DEFAULT 'completed' CHECK (status = 'completed'),
    processed_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (balance_after_cents = balance_before_cents + amount_cents)
);
CREATE INDEX idx_transactions_account ON transactions (billing_account_id, transaction_id DESC);
CREATE INDEX idx_transactions_org_time ON transactions (organization_id, processed_at DESC, transaction_id DESC);
CREATE INDEX idx_transactions_charge ON transactions (stripe_charge_id) WHERE stripe_charge_id IS NOT NULL;

-- One row per organization and day: what it used (Everflow's real clicks and conversions of its offers),
-- priced by its campaigns' payout models plus the platform fee, and how it was charged.
CREATE TABLE usage_records (
    usage_record_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id          BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    billing_account_id       BIGINT NOT NULL REFERENCES billing_accounts (billing_account_id) ON DELETE RESTRICT,
    usage_date               DATE NOT NULL,
    clicks                   BIGINT NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    conversions              BIGINT NOT NULL DEFAULT 0 CHECK (conversions >= 0),
    affiliate_payout_cents   BIGINT NOT NULL DEFAULT 0 CHECK (affiliate_payout_cents >= 0),
    platform_fee_cents       BIGINT NOT NULL DEFAULT 0 CHECK (platform_fee_cents >= 0),
    amount_cents             BIGINT NOT NULL DEFAULT 0 CHECK (amount_cents = affiliate_payout_cents + platform_fee_cents),
    currency                 CHAR(3) NOT NULL,
    status                   VARCHAR(20) NOT NULL DEFAULT 'calculated'
                             CHECK (status IN ('calculated', 'billed', 'accrued', 'invoiced', 'insufficient_funds')),
    campaign_breakdown       JSONB NOT NULL DEFAULT '[]'::jsonb,
    transaction_id           BIGINT REFERENCES transactions (transaction_id),
    invoice_id               BIGINT,
    failure_reason           TEXT,
    billed_at                TIMESTAMPTZ,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_usage_records_day UNIQUE (organization_id, usage_date)
);
CREATE INDEX idx_usage_records_unbilled ON usage_records (usage_date) WHERE status IN ('calculated', 'insufficient_funds');
CREATE INDEX idx_usage_records_account ON usage_records (billing_account_id, usage_date DESC);
CREATE TRIGGER usage_records_updated_at BEFORE UPDATE ON usage_records
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();

-- Monthly invoices of postpaid accounts, mirrored from Stripe. One per account and period.
CREATE TABLE invoices (
    invoice_id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id          BIGINT NOT NULL REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    billing_account_id       BIGINT NOT NULL REFERENCES billing_accounts (billing_account_id) ON DELETE RESTRICT,
    invoice_number           VARCHAR(100),
    stripe_invoice_id        VARCHAR(255) UNIQUE,
    period_start             DATE NOT NULL,
    period_end               DATE NOT NULL CHECK (period_end >= period_start),
    currency                 CHAR(3) NOT NULL,
    total_cents              BIGINT NOT NULL CHECK (total_cents >= 0),
    amount_paid_cents        BIGINT NOT NULL DEFAULT 0 CHECK (amount_paid_cents >= 0),
    amount_due_cents         BIGINT NOT NULL DEFAULT 0 CHECK (amount_due_cents >= 0),
    status                   VARCHAR(20) NOT NULL DEFAULT 'draft'
                             CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    due_date                 DATE,
    paid_at                  TIMESTAMPTZ,
    hosted_invoice_url       TEXT,
    attempt_count            INTEGER NOT NULL DEFAULT 0,
    last_failure             TEXT,
    stripe_updated           BIGINT NOT NULL DEFAULT 0,
    line_items               JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_invoices_period UNIQUE (billing_account_id, period_start)
);
CREATE INDEX idx_invoices_org ON invoices (organization_id, period_start DESC);
CREATE TRIGGER invoices_updated_at BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION trigger_set_updated_at();
ALTER TABLE usage_records ADD CONSTRAINT fk_usage_records_invoice
    FOREIGN KEY (invoice_id) REFERENCES invoices (invoice_id);

-- Every verified Stripe event, claimed by id in the transaction that applies it. `failed` events are
-- replayed by a scheduled job from the stored payload.
CREATE TABLE stripe_events (
    stripe_event_id          VARCHAR(255) PRIMARY KEY,
    event_type               VARCHAR(100) NOT NULL,
    stripe_created           BIGINT NOT NULL,
    status                   VARCHAR(20) NOT NULL CHECK (status IN ('processed', 'ignored', 'failed')),
    payload                  JSONB NOT NULL,
    organization_id          BIGINT REFERENCES organizations (organization_id) ON DELETE RESTRICT,
    attempts                 INTEGER NOT NULL DEFAULT 1,
    error_message            TEXT,
    received_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at             TIMESTAMPTZ
);
CREATE INDEX idx_stripe_events_failed ON stripe_events (received_at) WHERE status = 'failed';

-- Tenant rows: the rule of the other tenant tables. Stripe events are system rows (the webhook and the
-- replay job run cross-tenant); tenants read them only through their organization.
ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_accounts_tenant ON billing_accounts
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE payment_methods ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_methods FORCE ROW LEVEL SECURITY;
CREATE POLICY payment_methods_tenant ON payment_methods
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY payments_tenant ON payments
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY transactions_tenant ON transactions
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE usage_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_records FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_records_tenant ON usage_records
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices
    USING ((SELECT app_cross_tenant()) OR organization_id = ANY ((SELECT app_organization_ids())::BIGINT[]))
    WITH CHECK (app_in_scope(organization_id));
ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY;
CREATE POLICY stripe_events_system ON stripe_events USING ((SELECT app_cross_tenant())) WITH CHECK (app_cross_tenant());

-- Money history is kept: nothing billing-related is deleted by the application, and ledger rows are
-- never rewritten.
GRANT SELECT, INSERT, UPDATE ON billing_accounts, payment_methods, payments, usage_records, invoices, stripe_events
    TO platform_app;
REVOKE DELETE, TRUNCATE ON billing_accounts, payment_methods, payments, usage_records, invoices, stripe_events
    FROM platform_app;
GRANT SELECT, INSERT ON transactions TO platform_app;
REVOKE UPDATE, DELETE, TRUNCATE ON transactions FROM platform_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO platform_app;

-- Every organization has an account from its first moment, whoever inserts it; those created before
-- billing existed get theirs now. Their Stripe customers are created afterwards (billing-customers, and
-- on first use), with the organization's contact email.
CREATE FUNCTION open_billing_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_accounts (organization_id, billing_email) VALUES (NEW.organization_id, NEW.contact_email)
    ON CONFLICT (organization_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_open_billing_account AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION open_billing_account();
INSERT INTO billing_accounts (organization_id, billing_email)
SELECT organization_id, contact_email FROM organizations;
