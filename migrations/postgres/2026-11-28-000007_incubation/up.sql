-- Self-governance groups (居民自治组织) and their incubation, community needs (需求) and the
-- matches staff broker for them.

CREATE TABLE community_group (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    community_id TEXT NOT NULL REFERENCES community (id),
    category_id TEXT NOT NULL REFERENCES category (id),
    stage TEXT NOT NULL CHECK (stage IN ('PROPOSED', 'INCUBATING', 'GROWING', 'GRADUATED', 'DISSOLVED')),
    mentor_organisation_id TEXT REFERENCES organisation (id),
    -- Set when a graduated group registers as a partner organisation.
    organisation_id TEXT REFERENCES organisation (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX community_group_community_idx ON community_group (community_id, stage);

CREATE TABLE group_member (
    group_id TEXT NOT NULL REFERENCES community_group (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    role TEXT NOT NULL CHECK (role IN ('CONVENOR', 'MEMBER')),
    status TEXT NOT NULL CHECK (status IN ('REQUESTED', 'ACTIVE')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_member_user_idx ON group_member (user_id);

-- The public timeline: founding, mentor, every stage decision, with who and why.
CREATE TABLE group_event (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES community_group (id),
    kind TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT,
    note TEXT NOT NULL,
    actor_id TEXT REFERENCES app_user (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX group_event_group_idx ON group_event (group_id, id);

-- A group may run activities once it is growing; the activity then belongs to the group.
ALTER TABLE activity ADD COLUMN group_id TEXT REFERENCES community_group (id);

CREATE TABLE need (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES community (id),
    category_id TEXT NOT NULL REFERENCES category (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('LOW', 'MEDIUM', 'HIGH')),
    wanted_by TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('OPEN', 'MATCHING', 'MATCHED', 'DELIVERED', 'CLOSED', 'WITHDRAWN')),
    posted_by TEXT NOT NULL REFERENCES app_user (id),
    group_id TEXT REFERENCES community_group (id),
    outcome TEXT,
    residents_served INTEGER,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX need_status_idx ON need (status, wanted_by);
CREATE INDEX need_community_idx ON need (community_id, status);

CREATE TABLE match_case (
    id TEXT PRIMARY KEY,
    need_id TEXT NOT NULL REFERENCES need (id),
    candidate_kind TEXT NOT NULL CHECK (candidate_kind IN ('PRODUCT', 'ORGANISATION', 'GROUP')),
    candidate_id TEXT NOT NULL,
    score INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PROPOSED', 'ACCEPTED', 'DECLINED', 'DELIVERED')),
    proposed_by TEXT NOT NULL REFERENCES app_user (id),
    responded_by TEXT REFERENCES app_user (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (need_id, candidate_kind, candidate_id)
);
CREATE INDEX match_case_candidate_idx ON match_case (candidate_kind, candidate_id, status);
