-- Points expire by lots. A lot is the points of one wallet or redemption hold that were earned
-- in one calendar year (China Standard Time); the configured policy says when a year's points
-- lapse (by default at the end of the following year), so an account has about one lot a
-- year. Every posting that touches such an account records, per lot, what it added or took
-- (lot_entry); debits take the oldest lots first.
CREATE TABLE point_lot (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES account (id),
    earned_year INTEGER NOT NULL CHECK (earned_year BETWEEN 2000 AND 9999),
    -- Points the lot began with when lots were introduced (this migration), not by a transfer.
    carried_in BIGINT NOT NULL CHECK (carried_in >= 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, earned_year)
);
-- The sweeper's question: which lots with points left have lapsed?
CREATE INDEX point_lot_due_idx ON point_lot (earned_year, id) WHERE remaining > 0;

CREATE TABLE lot_entry (
    transfer_id TEXT NOT NULL REFERENCES transfer (id),
    lot_id TEXT NOT NULL REFERENCES point_lot (id),
    -- Added to the lot (credit) or taken from it (debit, negative).
    change BIGINT NOT NULL CHECK (change <> 0),
    PRIMARY KEY (transfer_id, lot_id)
);
CREATE INDEX lot_entry_lot_idx ON lot_entry (lot_id);

-- The reminders sent for a lot before it lapses (30 and 7 days), each once.
CREATE TABLE lot_reminder (
    lot_id TEXT NOT NULL REFERENCES point_lot (id),
    days_before INTEGER NOT NULL CHECK (days_before > 0),
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (lot_id, days_before)
);

-- Transfers posted before lots began have no lot entries; `linli ledger verify` checks every
-- transfer after this one (ids are time-ordered UUIDv7).
CREATE TABLE point_lot_start (
    last_transfer_id TEXT PRIMARY KEY
);
INSERT INTO point_lot_start (last_transfer_id) SELECT MAX(id) FROM transfer HAVING COUNT(*) > 0;

-- Existing balances become one lot per account, as if all of it had been earned in the year
-- (China Standard Time) of the account's latest credit: no point lapses sooner than the
-- policy would have let it.
INSERT INTO point_lot (id, account_id, earned_year, carried_in, remaining, created_at)
SELECT 'carried-' || a.id, a.id,
       CAST(strftime('%Y', MAX(t.created_at), '+8 hours') AS INTEGER),
       a.balance, a.balance, MAX(t.created_at)
FROM account a JOIN transfer t ON t.credit_account_id = a.id
WHERE a.kind IN ('WALLET', 'HOLD') AND a.balance > 0
GROUP BY a.id, a.balance;
