-- Booking community services: a resident books a published product for a day; a points price
-- is held from the wallet (BOOK_HOLD), paid to the organisation's budget when it marks the
-- service delivered (BOOK_CAPTURE) and returned when it is cancelled, declined or lapses
-- (BOOK_RELEASE).

ALTER TABLE transfer DROP CONSTRAINT transfer_code_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_code_check CHECK (code IN ('EARN', 'ALLOCATE_BUDGET',
    'REDEEM_HOLD', 'REDEEM_CAPTURE', 'REDEEM_RELEASE', 'DONATE', 'EXPIRE', 'REVERSE', 'ADJUST',
    'SETTLE', 'BOOK_HOLD', 'BOOK_CAPTURE', 'BOOK_RELEASE'));

-- A product an organisation opens to booking: how many seats a day (the elder canteen's meals),
-- how many of them one resident may take a day, and how far ahead residents may book.
CREATE TABLE booking_terms (
    product_id TEXT PRIMARY KEY REFERENCES product (id),
    -- NULL: no limit a day.
    seats_per_day INTEGER CHECK (seats_per_day IS NULL OR seats_per_day BETWEEN 1 AND 10000),
    per_resident_per_day INTEGER NOT NULL CHECK (per_resident_per_day BETWEEN 1 AND 20),
    days_ahead INTEGER NOT NULL CHECK (days_ahead BETWEEN 1 AND 90),
    open BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL REFERENCES app_user (id),
    updated_at TIMESTAMP NOT NULL
);

-- Seats taken on a day: booking takes one with a conditional update (taken < seats), so
-- concurrent bookings never overbook; a cancelled, declined or lapsed booking gives it back.
CREATE TABLE booking_day (
    product_id TEXT NOT NULL REFERENCES product (id),
    -- `YYYY-MM-DD`, China Standard Time.
    day TEXT NOT NULL CHECK (length(day) = 10),
    taken INTEGER NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (product_id, day)
);

CREATE TABLE booking (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES product (id),
    organisation_id TEXT NOT NULL REFERENCES organisation (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    day TEXT NOT NULL CHECK (length(day) = 10),
    status TEXT NOT NULL CHECK (status IN
        ('REQUESTED', 'ACCEPTED', 'DELIVERED', 'DECLINED', 'CANCELLED', 'LAPSED')),
    -- The product's price when booked: yuan (paid off-platform, recorded) and points (held).
    price_tier TEXT NOT NULL CHECK (price_tier IN ('FREE', 'LOW_COST', 'MARKET')),
    price_fen BIGINT CHECK (price_fen IS NULL OR price_fen >= 0),
    points BIGINT NOT NULL CHECK (points >= 0),
    note TEXT NOT NULL,
    -- Why the organisation declined it.
    reason TEXT,
    decided_by TEXT REFERENCES app_user (id),
    decided_at TIMESTAMP,
    finished_at TIMESTAMP,
    idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (price_tier <> 'FREE' OR (price_fen IS NULL AND points = 0)),
    CHECK ((status IN ('REQUESTED', 'ACCEPTED')) = (finished_at IS NULL))
);
CREATE INDEX booking_user_idx ON booking (user_id, id);
CREATE INDEX booking_organisation_idx ON booking (organisation_id, id);
CREATE INDEX booking_product_day_idx ON booking (product_id, day, user_id);
-- The lapse sweeper's question: which open bookings' days have passed?
CREATE INDEX booking_open_idx ON booking (day, id) WHERE status IN ('REQUESTED', 'ACCEPTED');
