-- Merchant settlement: a month's captures close into a settlement; the merchant's points move
-- to the district's SETTLED account by a SETTLE transfer, and the centre pays the merchant.

ALTER TABLE account DROP CONSTRAINT account_kind_check;
ALTER TABLE account ADD CONSTRAINT account_kind_check CHECK (kind IN
    ('ISSUANCE', 'EXPIRED', 'SETTLED', 'WALLET', 'HOLD', 'BUDGET', 'MERCHANT', 'GROUP_FUND'));
ALTER TABLE account DROP CONSTRAINT account_check2;
ALTER TABLE account ADD CONSTRAINT account_check2
    CHECK ((owner_id IS NULL) = (kind IN ('ISSUANCE', 'EXPIRED', 'SETTLED')));

ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST',
    'SETTLE'));

-- The third system account, with a fixed id like the other two.
INSERT INTO account (id, kind, owner_id, balance, may_go_negative, created_at) VALUES
    ('00000000-0000-7000-8000-000000000003', 'SETTLED', NULL, 0, FALSE, '2026-01-01 00:00:00');

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
