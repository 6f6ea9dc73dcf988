ALTER TABLE app_user DROP COLUMN status_reason;
ALTER TABLE app_user DROP COLUMN status;
ALTER TABLE merchant DROP COLUMN status_reason;
ALTER TABLE merchant DROP CONSTRAINT merchant_status_check;
-- A turned-down application stays out of the alliance as suspended: no row is dropped.
UPDATE merchant SET status = 'SUSPENDED' WHERE status = 'REJECTED';
ALTER TABLE merchant ADD CONSTRAINT merchant_status_check
    CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED'));
