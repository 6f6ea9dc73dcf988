-- Email: a transactional outbox written in the transaction of the event that causes each
-- message, single-use tokens for email verification and password reset, and opt-outs.

CREATE TABLE outbox_message (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES app_user (id),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('QUEUED', 'SENDING', 'SENT', 'FAILED')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- The relay holding the message and until when; another relay may take it after that.
    claimed_by TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_message_due_idx ON outbox_message (status, next_attempt_at);

CREATE TABLE email_token (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    email TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX email_token_user_idx ON email_token (user_id, purpose);

CREATE TABLE email_verification (
    user_id TEXT PRIMARY KEY REFERENCES app_user (id),
    email TEXT NOT NULL,
    verified_at TIMESTAMP NOT NULL
);

CREATE TABLE notification_opt_out (
    user_id TEXT NOT NULL REFERENCES app_user (id),
    template TEXT NOT NULL,
    PRIMARY KEY (user_id, template)
);
