-- A need's service level: the time it should have a match by (its posting time plus the SLA of
-- its urgency, LINLI_NEED_SLA_HOURS, fixed when it is posted), and the staff member it was
-- escalated to when that time passed without a match. Needs posted before this migration get
-- the default SLA (HIGH 24 h, MEDIUM 72 h, LOW 168 h).
-- SQLite adds a NOT NULL column only with a default; every row gets its real value below and
-- every insert names the column.
ALTER TABLE need ADD COLUMN sla_due_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE need SET sla_due_at = strftime('%Y-%m-%d %H:%M:%f', created_at, CASE urgency
    WHEN 'HIGH' THEN '+24 hours'
    WHEN 'MEDIUM' THEN '+72 hours'
    ELSE '+168 hours'
END);
ALTER TABLE need ADD COLUMN escalated_to TEXT REFERENCES app_user (id);
ALTER TABLE need ADD COLUMN escalated_at TIMESTAMP;
-- The escalation sweep (open needs past their SLA) and the matching board's order.
CREATE INDEX need_sla_idx ON need (status, sla_due_at);

-- When the offering side answered a match, and when and by whom it was delivered (delivery
-- used to overwrite `responded_by`).
ALTER TABLE match_case ADD COLUMN responded_at TIMESTAMP;
ALTER TABLE match_case ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE match_case ADD COLUMN delivered_by TEXT REFERENCES app_user (id);
