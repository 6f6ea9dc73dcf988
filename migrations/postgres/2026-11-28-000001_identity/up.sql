-- Communities, people, sessions, sign-in throttling and the audit trail.
-- Portable types only (ids are UUIDv7 text, times are UTC TIMESTAMP), so that the SQLite twin
-- of this file declares the same tables and columns.

CREATE TABLE community (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    street TEXT NOT NULL,
    community_type TEXT NOT NULL CHECK (community_type IN
        ('NEW_COMMERCIAL_RESIDENTIAL', 'SOE_LIVING_AREA', 'OLD_COMMUNITY', 'RESETTLEMENT', 'INDUSTRIAL')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE app_user (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('RESIDENT', 'STAFF', 'ADMIN')),
    community_id TEXT REFERENCES community (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX app_user_community_idx ON app_user (community_id);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one sign-in; every refresh
-- rotates the token inside its family, and presenting a used token revokes the whole family.
CREATE TABLE refresh_token (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_token_family_idx ON refresh_token (family_id);
CREATE INDEX refresh_token_user_idx ON refresh_token (user_id);

-- Failed sign-ins per account identifier and per client address, shared by every instance.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE audit_event (
    id TEXT PRIMARY KEY,
    actor_id TEXT REFERENCES app_user (id),
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_event_subject_idx ON audit_event (subject_kind, subject_id);
CREATE INDEX audit_event_actor_idx ON audit_event (actor_id);
