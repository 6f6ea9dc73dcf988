-- Each client's request budget, a leaky bucket shared by every Linli instance: the level of
-- cost spent (in thousandths, so it drains smoothly) as of `updated_ms` (Unix milliseconds).
-- Instances add what they charged about once a second, not once per request.
CREATE TABLE request_budget (
    client_key TEXT PRIMARY KEY,
    level BIGINT NOT NULL CHECK (level >= 0),
    updated_ms BIGINT NOT NULL
);
