-- The business alliance (商居联盟): merchants, rewards for points, two-phase redemptions.

CREATE TABLE merchant (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL UNIQUE REFERENCES organisation (id),
    shop_name TEXT NOT NULL,
    community_id TEXT REFERENCES community (id),
    address TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES category (id),
    opening_hours TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX merchant_status_idx ON merchant (status, id);

CREATE TABLE reward (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchant (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    points_price BIGINT NOT NULL CHECK (points_price > 0),
    -- Remaining stock; NULL means unlimited (and the row is never updated on redemption).
    stock INTEGER CHECK (stock IS NULL OR stock >= 0),
    limit_per_period INTEGER CHECK (limit_per_period IS NULL OR limit_per_period > 0),
    period_days INTEGER NOT NULL CHECK (period_days > 0),
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED', 'RETIRED')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reward_merchant_idx ON reward (merchant_id, status);
CREATE INDEX reward_browse_idx ON reward (status, points_price, id);

CREATE TABLE redemption (
    id TEXT PRIMARY KEY,
    reward_id TEXT NOT NULL REFERENCES reward (id),
    merchant_id TEXT NOT NULL REFERENCES merchant (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    points BIGINT NOT NULL CHECK (points > 0),
    -- What the resident shows at the counter; unique so a code names one redemption.
    code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    expires_at TIMESTAMP NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    finished_by TEXT REFERENCES app_user (id),
    CHECK ((status = 'PENDING') = (finished_at IS NULL))
);
CREATE INDEX redemption_user_idx ON redemption (user_id, id);
CREATE INDEX redemption_limit_idx ON redemption (reward_id, user_id, created_at);
CREATE INDEX redemption_due_idx ON redemption (status, expires_at);
CREATE INDEX redemption_merchant_idx ON redemption (merchant_id, status, finished_at);
