DROP TABLE booking;
DROP TABLE booking_day;
DROP TABLE booking_terms;
-- Transfers are immutable, so a database with booking transfers cannot go back.
ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST',
    'SETTLE'));
