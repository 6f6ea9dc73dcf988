-- Standing: staff may turn a merchant application down, and suspend or restore a resident,
-- each with the reason the person is shown.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE merchant_rebuilt (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL UNIQUE REFERENCES organisation (id),
    shop_name TEXT NOT NULL,
    community_id TEXT REFERENCES community (id),
    address TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES category (id),
    opening_hours TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'REJECTED')),
    created_at TIMESTAMP NOT NULL,
    status_reason TEXT
);
INSERT INTO merchant_rebuilt
    (id, organisation_id, shop_name, community_id, address, category_id, opening_hours, status,
     created_at)
SELECT id, organisation_id, shop_name, community_id, address, category_id, opening_hours, status,
       created_at
FROM merchant;
DROP TABLE merchant;
ALTER TABLE merchant_rebuilt RENAME TO merchant;
CREATE INDEX merchant_status_idx ON merchant (status, id);

ALTER TABLE app_user ADD COLUMN status TEXT NOT NULL DEFAULT 'ACTIVE'
    CHECK (status IN ('ACTIVE', 'SUSPENDED'));
ALTER TABLE app_user ADD COLUMN status_reason TEXT;

COMMIT;
PRAGMA foreign_keys = ON;
