DROP TRIGGER audit_event_no_delete;
DROP TRIGGER audit_event_no_update;
DROP TABLE approval_request;
ALTER TABLE activity DROP COLUMN rate_approved_by;
ALTER TABLE participation DROP COLUMN code_locked_at;
ALTER TABLE participation DROP COLUMN refused_codes;
ALTER TABLE throttle RENAME COLUMN events TO failures;
ALTER TABLE throttle RENAME TO login_throttle;
