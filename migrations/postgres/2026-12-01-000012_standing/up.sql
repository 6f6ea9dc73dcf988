-- Standing: staff may turn a merchant application down, and suspend or restore a resident,
-- each with the reason the person is shown.

ALTER TABLE merchant DROP CONSTRAINT merchant_status_check;
ALTER TABLE merchant ADD CONSTRAINT merchant_status_check
    CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'REJECTED'));
ALTER TABLE merchant ADD COLUMN status_reason TEXT;

ALTER TABLE app_user ADD COLUMN status TEXT NOT NULL DEFAULT 'ACTIVE'
    CHECK (status IN ('ACTIVE', 'SUSPENDED'));
ALTER TABLE app_user ADD COLUMN status_reason TEXT;
