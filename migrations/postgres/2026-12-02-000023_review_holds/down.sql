-- Transfers are immutable, so a database with review holds cannot go back.
DROP TABLE client_sighting;
ALTER TABLE review_case DROP COLUMN users;
ALTER TABLE review_case DROP COLUMN transfers;
ALTER TABLE review_case DROP CONSTRAINT review_case_rule_check;
ALTER TABLE review_case ADD CONSTRAINT review_case_rule_check CHECK (rule IN
    ('IDENTICAL_ATTENDANCE', 'TRANSFER_CYCLE'));
ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST',
    'SETTLE', 'BOOK_HOLD', 'BOOK_CAPTURE', 'BOOK_RELEASE'));
