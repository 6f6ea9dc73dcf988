-- The review queue's other rules and its holds: a case may hold the points it is about
-- (REVIEW_HOLD, from the wallet to the resident's hold) until staff close it (REVIEW_RELEASE);
-- a case names the transfers staff may reverse and the residents they may suspend when they
-- act on it; sign-ins are recorded per client address and day for the rule that counts
-- accounts behind one address.

ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST',
    'SETTLE', 'BOOK_HOLD', 'BOOK_CAPTURE', 'BOOK_RELEASE', 'REVIEW_HOLD', 'REVIEW_RELEASE'));

ALTER TABLE review_case DROP CONSTRAINT review_case_rule_check;
ALTER TABLE review_case ADD CONSTRAINT review_case_rule_check CHECK (rule IN
    ('IDENTICAL_ATTENDANCE', 'TRANSFER_CYCLE', 'OVERLAPPING_MINUTES', 'ACCOUNTS_PER_ADDRESS',
     'MERCHANT_SURGE', 'MEMBER_REDEMPTION'));
-- JSON arrays of ids: the transfers acting on the case reverses, the residents it suspends.
ALTER TABLE review_case ADD COLUMN transfers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE review_case ADD COLUMN users TEXT NOT NULL DEFAULT '[]';

-- Who signed in from which client address on which day (China Standard Time), once each;
-- kept 30 days (retention).
CREATE TABLE client_sighting (
    address TEXT NOT NULL,
    -- `YYYY-MM-DD`, China Standard Time.
    day TEXT NOT NULL CHECK (length(day) = 10),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (address, day, user_id)
);
CREATE INDEX client_sighting_seen_idx ON client_sighting (seen_at);
