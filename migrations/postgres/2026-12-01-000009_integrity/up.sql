-- Integrity: one throttle table for every counter, refused check-in codes on the attendance
-- sheet, staff approval of high hourly rates for group-run activities, dual control of large
-- staff movements of points, and an audit trail nobody can edit.

ALTER TABLE login_throttle RENAME TO throttle;
ALTER TABLE throttle RENAME COLUMN failures TO events;

-- Wrong check-in codes presented for this participation; at ten it is locked.
ALTER TABLE participation ADD COLUMN refused_codes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation ADD COLUMN code_locked_at TIMESTAMP;

-- The staff member who approved a group-run activity's hourly rate above the district's rule.
ALTER TABLE activity ADD COLUMN rate_approved_by TEXT REFERENCES app_user (id);

-- A staff adjustment, reversal or allocation above the dual-control amount waits here for a
-- second staff member; approving posts the transfer in the same transaction.
CREATE TABLE approval_request (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ADJUST', 'REVERSE', 'ALLOCATE_BUDGET')),
    requested_by TEXT NOT NULL REFERENCES app_user (id),
    account_id TEXT REFERENCES account (id),
    transfer_id TEXT REFERENCES transfer (id),
    organisation_id TEXT REFERENCES organisation (id),
    -- Signed for adjustments (negative removes points), positive otherwise.
    change BIGINT NOT NULL CHECK (change <> 0),
    reason TEXT NOT NULL,
    -- The requester's idempotency key (scoped), so a retried request finds this one.
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'DECLINED')),
    decided_by TEXT REFERENCES app_user (id),
    decided_at TIMESTAMP,
    decision_note TEXT,
    transfer_made_id TEXT REFERENCES transfer (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CHECK ((status = 'PENDING') = (decided_at IS NULL))
);
CREATE INDEX approval_request_status_idx ON approval_request (status, id);

CREATE FUNCTION audit_event_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are immutable';
END;
$$;
CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_immutable();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_immutable();
