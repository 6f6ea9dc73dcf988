-- Needs and groups are made once per idempotency key too (postNeed, foundGroup). SQLite
-- cannot alter a CHECK constraint, so the table is rebuilt; nothing refers to it, so this
-- runs in the migration's own transaction.
CREATE TABLE creation_rebuilt (
    -- The creator's scoped key: `<user id>:<client key>`.
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    subject_kind TEXT NOT NULL
        CHECK (subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD', 'NEED', 'GROUP')),
    subject_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT creation_idempotency_key PRIMARY KEY (idempotency_key)
);
INSERT INTO creation_rebuilt (idempotency_key, request_hash, subject_kind, subject_id, created_at)
    SELECT idempotency_key, request_hash, subject_kind, subject_id, created_at FROM creation;
DROP TABLE creation;
ALTER TABLE creation_rebuilt RENAME TO creation;
