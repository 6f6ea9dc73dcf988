-- Service certificates (志愿服务证明): a resident's verified service, signed with the district's
-- Ed25519 key. The signed document is kept whole; the participations it counts are listed so
-- that reversing one revokes it.

-- Hours whose points staff reversed no longer count as service.
ALTER TABLE participation ADD COLUMN hours_revoked_at TIMESTAMP;

CREATE TABLE certificate (
    id TEXT PRIMARY KEY,
    -- Printed on the page and in its QR code; random, so certificates cannot be enumerated.
    number TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    -- What was asked and what it counts: asking again for the same returns the same number.
    fingerprint TEXT NOT NULL,
    -- The compact JWS exactly as signed.
    document TEXT NOT NULL,
    key_id TEXT NOT NULL,
    total_minutes BIGINT NOT NULL CHECK (total_minutes > 0),
    issued_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revocation_reason TEXT,
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX certificate_user_idx ON certificate (user_id, id);
CREATE UNIQUE INDEX certificate_current_idx ON certificate (fingerprint) WHERE revoked_at IS NULL;

CREATE TABLE certificate_participation (
    certificate_id TEXT NOT NULL REFERENCES certificate (id),
    participation_id TEXT NOT NULL REFERENCES participation (id),
    PRIMARY KEY (certificate_id, participation_id)
);
CREATE INDEX certificate_participation_idx ON certificate_participation (participation_id);
