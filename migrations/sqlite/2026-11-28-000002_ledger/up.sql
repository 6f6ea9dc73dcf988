-- Partner organisations (共建主体) and their members, then the points ledger.

CREATE TABLE organisation (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN
        ('SOCIAL_ORGANISATION', 'ENTERPRISE', 'PUBLIC_INSTITUTION', 'FOUNDATION', 'OTHER')),
    description TEXT NOT NULL,
    community_id TEXT REFERENCES community (id),
    contact TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'VERIFIED', 'REJECTED', 'SUSPENDED')),
    status_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organisation_status_idx ON organisation (status, id);

CREATE TABLE organisation_member (
    organisation_id TEXT NOT NULL REFERENCES organisation (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    role TEXT NOT NULL CHECK (role IN ('OWNER', 'MANAGER', 'MEMBER')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_member_user_idx ON organisation_member (user_id);

-- One row per account; `balance` is a cache of Σ credits − Σ debits, kept in step by every
-- posting in the same transaction. Only the issuance account may go negative.
CREATE TABLE account (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN
        ('ISSUANCE', 'EXPIRED', 'WALLET', 'HOLD', 'BUDGET', 'MERCHANT', 'GROUP_FUND')),
    owner_id TEXT,
    balance BIGINT NOT NULL DEFAULT 0,
    may_go_negative BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK (may_go_negative OR balance >= 0),
    CHECK (may_go_negative = (kind = 'ISSUANCE')),
    CHECK ((owner_id IS NULL) = (kind IN ('ISSUANCE', 'EXPIRED'))),
    UNIQUE (kind, owner_id)
);

-- The two system accounts have fixed ids so every instance and every test finds them.
INSERT INTO account (id, kind, owner_id, balance, may_go_negative, created_at) VALUES
    ('00000000-0000-7000-8000-000000000001', 'ISSUANCE', NULL, 0, TRUE, '2026-01-01 00:00:00');
INSERT INTO account (id, kind, owner_id, balance, may_go_negative, created_at) VALUES
    ('00000000-0000-7000-8000-000000000002', 'EXPIRED', NULL, 0, FALSE, '2026-01-01 00:00:00');

-- Transfers are facts: never updated, never deleted (triggers below refuse it). A mistake is
-- corrected by a REVERSE transfer pointing at the original, at most one per original.
CREATE TABLE transfer (
    id TEXT PRIMARY KEY,
    debit_account_id TEXT NOT NULL REFERENCES account (id),
    credit_account_id TEXT NOT NULL REFERENCES account (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    code TEXT NOT NULL CHECK (code IN ('EARN', 'ALLOCATE_BUDGET', 'REDEEM_HOLD', 'REDEEM_CAPTURE',
        'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST')),
    actor_id TEXT REFERENCES app_user (id),
    reason TEXT NOT NULL,
    cause_kind TEXT,
    cause_id TEXT,
    rule TEXT,
    reverses_id TEXT UNIQUE REFERENCES transfer (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((code = 'REVERSE') = (reverses_id IS NOT NULL))
);
-- History is read newest first per account; ids are UUIDv7, so id order is time order.
CREATE INDEX transfer_debit_idx ON transfer (debit_account_id, id);
CREATE INDEX transfer_credit_idx ON transfer (credit_account_id, id);
CREATE INDEX transfer_cause_idx ON transfer (cause_kind, cause_id);

CREATE TRIGGER transfer_no_update BEFORE UPDATE ON transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable: post a REVERSE transfer instead');
END;
CREATE TRIGGER transfer_no_delete BEFORE DELETE ON transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable: post a REVERSE transfer instead');
END;
