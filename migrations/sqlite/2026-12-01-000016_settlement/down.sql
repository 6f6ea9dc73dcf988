-- Development only: a database with SETTLE transfers cannot go back (transfers are immutable).
PRAGMA foreign_keys = OFF;
BEGIN;
DROP INDEX redemption_settlement_idx;
ALTER TABLE redemption DROP COLUMN settlement_id;
DROP TABLE settlement;
DROP TRIGGER transfer_no_delete;
DELETE FROM account WHERE kind = 'SETTLED';
CREATE TRIGGER transfer_no_delete BEFORE DELETE ON transfer
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable: post a REVERSE transfer instead');
END;
COMMIT;
PRAGMA foreign_keys = ON;
