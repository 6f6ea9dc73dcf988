DROP TABLE certificate_participation;
DROP TABLE certificate;
ALTER TABLE participation DROP COLUMN hours_revoked_at;
