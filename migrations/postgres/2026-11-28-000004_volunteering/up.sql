-- Volunteer activities (共创活动), participation with waitlist, attendance and verification,
-- and the per-resident daily points counter that makes the daily cap race-free.

CREATE TABLE activity (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisation (id),
    category_id TEXT NOT NULL REFERENCES category (id),
    community_id TEXT REFERENCES community (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    seats_taken INTEGER NOT NULL DEFAULT 0,
    points_per_hour BIGINT NOT NULL CHECK (points_per_hour >= 0),
    points_cap BIGINT NOT NULL CHECK (points_cap >= 0),
    status TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED', 'COMPLETED', 'CANCELLED')),
    -- Secret behind the rotating check-in code; never leaves the server.
    code_secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (seats_taken >= 0 AND seats_taken <= capacity)
);
CREATE INDEX activity_upcoming_idx ON activity (status, starts_at, id);
CREATE INDEX activity_organisation_idx ON activity (organisation_id, starts_at);

CREATE TABLE participation (
    id TEXT PRIMARY KEY,
    activity_id TEXT NOT NULL REFERENCES activity (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    status TEXT NOT NULL CHECK (status IN ('REGISTERED', 'WAITLISTED', 'CANCELLED')),
    -- Recorded by hand by an organiser: service hours, never points.
    manual BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_by TEXT REFERENCES app_user (id),
    checked_in_at TIMESTAMP,
    checked_out_at TIMESTAMP,
    verified_at TIMESTAMP,
    verified_by TEXT REFERENCES app_user (id),
    verified_minutes INTEGER,
    points_awarded BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, user_id),
    CHECK (checked_out_at IS NULL OR checked_in_at IS NOT NULL),
    CHECK ((verified_at IS NULL) = (verified_minutes IS NULL))
);
CREATE INDEX participation_activity_idx ON participation (activity_id, status, id);
CREATE INDEX participation_user_idx ON participation (user_id, verified_at);

-- Points earned per resident per day (China Standard Time), updated in the verification's
-- transaction under a row lock, so two verifications cannot both fit under the cap.
CREATE TABLE daily_points (
    user_id TEXT NOT NULL REFERENCES app_user (id),
    day TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points >= 0),
    PRIMARY KEY (user_id, day)
);
