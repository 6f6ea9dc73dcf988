CREATE TABLE creation_rebuilt (
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD')),
    subject_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT creation_idempotency_key PRIMARY KEY (idempotency_key)
);
INSERT INTO creation_rebuilt (idempotency_key, request_hash, subject_kind, subject_id, created_at)
    SELECT idempotency_key, request_hash, subject_kind, subject_id, created_at FROM creation
    WHERE subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD');
DROP TABLE creation;
ALTER TABLE creation_rebuilt RENAME TO creation;
