-- Merchant settlement: a month's captures close into a settlement; the merchant's points move
-- to the district's SETTLED account by a SETTLE transfer, and the centre pays the merchant.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE account_rebuilt (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN
        ('ISSUANCE', 'EXPIRED', 'SETTLED', 'WALLET', 'HOLD', 'BUDGET', 'MERCHANT', 'GROUP_FUND')),
    owner_id TEXT,
    balance BIGINT NOT NULL DEFAULT 0,
    may_go_negative BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK (may_go_negative OR balance >= 0),
    CHECK (may_go_negative = (kind = 'ISSUANCE')),
    CHECK ((owner_id IS NULL) = (kind IN ('ISSUANCE', 'EXPIRED', 'SETTLED'))),
    UNIQUE (kind, owner_id)
);
INSERT INTO account_rebuilt (id, kind, owner_id, balance, may_go_negative, created_at)
SELECT id, kind, owner_id, balance, may_go_negative, created_at FROM account;
DROP TABLE account;
ALTER TABLE account_rebuilt RENAME TO account;

-- The third system account, with a fixed id like the other two.
INSERT INTO account (id, kind, owner_id, balance, may_go_negative, created_at) VALUES
    ('00000000-0000-7000-8000-000000000003', 'SETTLED', NULL, 0, FALSE, '2026-01-01 00:00:00');

CREATE TABLE transfer_rebuilt (
    id TEXT PRIMARY KEY,
    debit_account_id TEXT NOT NULL REFERENCES account (id),
    credit_account_id TEXT NOT NULL REFERENCES account (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    code TEXT NOT NULL CHECK (code IN ('EARN', 'ALLOCATE_BUDGET', 'REDEEM_HOLD', 'REDEEM_CAPTURE',
        'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST', 'SETTLE')),
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
INSERT INTO transfer_rebuilt
    (id, debit_account_id, credit_account_id, amount, code, actor_id, reason, cause_kind,
     cause_id, rule, reverses_id, idempotency_key, request_hash, created_at)
SELECT id, debit_account_id, credit_account_id, amount, code, actor_id, reason, cause_kind,
       cause_id, rule, reverses_id, idempotency_key, request_hash, created_at
FROM transfer;
DROP TABLE transfer;
ALTER TABLE transfer_rebuilt RENAME TO transfer;
CREATE INDEX transfer_debit_idx ON transfer (debit_account_id, id);
CREATE INDEX transfer_credit_idx ON transfer (credit_account_id, id);
CREATE INDEX transfer_cause_idx ON transfer (cause_kind, cause_id);
CREATE INDEX transfer_code_time_amount_idx ON transfer (code, created_at, amount);
CREATE TRIGGER transfer_no_update BEFORE UPDATE ON transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable: post a REVERSE transfer instead');
END;
CREATE TRIGGER transfer_no_delete BEFORE DELETE ON transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable: post a REVERSE transfer instead');
END;

-- A merchant's month, closed: the captures it holds are frozen (each redemption names its
-- settlement), the points left the merchant's till for the SETTLED account by one SETTLE
-- transfer, and what the centre pays is fixed at the point value of the day it closed.
CREATE TABLE settlement (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchant (id),
    -- `YYYY-MM`, China Standard Time.
    month TEXT NOT NULL CHECK (length(month) = 7),
    points BIGINT NOT NULL CHECK (points > 0),
    lines INTEGER NOT NULL CHECK (lines > 0),
    -- The yuan value of a point when the month closed, in fen, and what the centre pays.
    point_value_fen BIGINT NOT NULL CHECK (point_value_fen >= 0),
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    rule TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('CLOSED', 'APPROVED', 'PAID')),
    closed_by TEXT NOT NULL REFERENCES app_user (id),
    approved_by TEXT REFERENCES app_user (id),
    approved_at TIMESTAMP,
    paid_reference TEXT,
    paid_by TEXT REFERENCES app_user (id),
    paid_at TIMESTAMP,
    transfer_id TEXT NOT NULL UNIQUE REFERENCES transfer (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (merchant_id, month),
    CHECK (amount_fen = points * point_value_fen),
    -- Dual control: whoever closed the month does not approve its payment.
    CHECK (approved_by IS NULL OR approved_by <> closed_by),
    CHECK ((status = 'CLOSED') = (approved_at IS NULL)),
    CHECK ((approved_at IS NULL) = (approved_by IS NULL)),
    CHECK ((status = 'PAID') = (paid_at IS NOT NULL)),
    CHECK ((paid_at IS NULL) = (paid_by IS NULL)),
    CHECK ((paid_at IS NULL) = (paid_reference IS NULL))
);
CREATE INDEX settlement_month_idx ON settlement (month, id);
CREATE INDEX settlement_status_idx ON settlement (status, id);
CREATE INDEX settlement_merchant_idx ON settlement (merchant_id, id);

-- The settlement a confirmed redemption's capture belongs to; NULL until its month closes.
ALTER TABLE redemption ADD COLUMN settlement_id TEXT REFERENCES settlement (id);
CREATE INDEX redemption_settlement_idx ON redemption (settlement_id);

COMMIT;
PRAGMA foreign_keys = ON;
