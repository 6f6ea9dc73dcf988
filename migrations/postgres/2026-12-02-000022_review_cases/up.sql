-- The review queue: rules run over attendance and the ledger and open a case for staff when they
-- find a pattern (代签, points circulating in a loop). A finding opens at most one case, however
-- often the rules run; each rule remembers how far it has read.
CREATE TABLE review_case (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL CHECK (rule IN ('IDENTICAL_ATTENDANCE', 'TRANSFER_CYCLE')),
    -- What the rule found, named so that finding it again is the same case.
    finding TEXT NOT NULL UNIQUE,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    explanation TEXT NOT NULL,
    -- A JSON array of lines, one per row the rule saw.
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('OPEN', 'CLEARED', 'ACTED')),
    opened_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES app_user (id),
    decided_at TIMESTAMP,
    decision TEXT,
    CHECK ((status = 'OPEN') = (decided_at IS NULL))
);
CREATE INDEX review_case_status_idx ON review_case (status, id);

CREATE TABLE review_cursor (
    rule TEXT PRIMARY KEY,
    -- The last row read: a timestamp or a time-ordered id, as the rule reads.
    position TEXT NOT NULL,
    ran_at TIMESTAMP NOT NULL
);
