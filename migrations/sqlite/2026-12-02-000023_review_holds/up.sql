-- The review queue's other rules and its holds: a case may hold the points it is about
-- (REVIEW_HOLD, from the wallet to the resident's hold) until staff close it (REVIEW_RELEASE);
-- a case names the transfers staff may reverse and the residents they may suspend when they
-- act on it; sign-ins are recorded per client address and day for the rule that counts
-- accounts behind one address. SQLite changes a CHECK by rebuilding the table.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE transfer_rebuilt (
    id TEXT PRIMARY KEY,
    debit_account_id TEXT NOT NULL REFERENCES account (id),
    credit_account_id TEXT NOT NULL REFERENCES account (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    code TEXT NOT NULL CHECK (code IN ('EARN', 'ALLOCATE_BUDGET', 'REDEEM_HOLD', 'REDEEM_CAPTURE',
        'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST', 'SETTLE', 'BOOK_HOLD',
        'BOOK_CAPTURE', 'BOOK_RELEASE', 'REVIEW_HOLD', 'REVIEW_RELEASE')),
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

CREATE TABLE review_case_rebuilt (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL CHECK (rule IN ('IDENTICAL_ATTENDANCE', 'TRANSFER_CYCLE',
        'OVERLAPPING_MINUTES', 'ACCOUNTS_PER_ADDRESS', 'MERCHANT_SURGE', 'MEMBER_REDEMPTION')),
    finding TEXT NOT NULL UNIQUE,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    explanation TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('OPEN', 'CLEARED', 'ACTED')),
    opened_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES app_user (id),
    decided_at TIMESTAMP,
    decision TEXT,
    -- JSON arrays of ids: the transfers acting on the case reverses, the residents it suspends.
    transfers TEXT NOT NULL DEFAULT '[]',
    users TEXT NOT NULL DEFAULT '[]',
    CHECK ((status = 'OPEN') = (decided_at IS NULL))
);
INSERT INTO review_case_rebuilt
    (id, rule, finding, subject_kind, subject_id, explanation, evidence, status, opened_at,
     decided_by, decided_at, decision)
SELECT id, rule, finding, subject_kind, subject_id, explanation, evidence, status, opened_at,
       decided_by, decided_at, decision
FROM review_case;
DROP TABLE review_case;
ALTER TABLE review_case_rebuilt RENAME TO review_case;
CREATE INDEX review_case_status_idx ON review_case (status, id);

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

COMMIT;
PRAGMA foreign_keys = ON;
