DROP INDEX redemption_settlement_idx;
ALTER TABLE redemption DROP COLUMN settlement_id;
DROP TABLE settlement;
-- Transfers are immutable, so a database with SETTLE transfers cannot go back.
DELETE FROM account WHERE kind = 'SETTLED';
ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST'));
ALTER TABLE account DROP CONSTRAINT account_check2;
ALTER TABLE account ADD CONSTRAINT account_check2
    CHECK ((owner_id IS NULL) = (kind IN ('ISSUANCE', 'EXPIRED')));
ALTER TABLE account DROP CONSTRAINT account_kind_check;
ALTER TABLE account ADD CONSTRAINT account_kind_check CHECK (kind IN
    ('ISSUANCE', 'EXPIRED', 'WALLET', 'HOLD', 'BUDGET', 'MERCHANT', 'GROUP_FUND'));
