-- Creations made once: a create request (a product, an activity, a reward) sent with an
-- idempotency key records the key here in the transaction that creates the object, so the
-- same request sent again returns that object instead of making a second one.
CREATE TABLE creation (
    -- The creator's scoped key: `<user id>:<client key>`.
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD')),
    subject_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT creation_idempotency_key PRIMARY KEY (idempotency_key)
);
