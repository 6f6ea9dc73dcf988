-- A need's service level: the time it should have a match by (its posting time plus the SLA of
-- its urgency, LINLI_NEED_SLA_HOURS, fixed when it is posted), and the staff member it was
-- escalated to when that time passed without a match. Needs posted before this migration get
-- the default SLA (HIGH 24 h, MEDIUM 72 h, LOW 168 h).
ALTER TABLE need ADD COLUMN sla_due_at TIMESTAMP;
UPDATE need SET sla_due_at = created_at + CASE urgency
    WHEN 'HIGH' THEN INTERVAL '24 hours'
    WHEN 'MEDIUM' THEN INTERVAL '72 hours'
    ELSE INTERVAL '168 hours'
END;
ALTER TABLE need ALTER COLUMN sla_due_at SET NOT NULL;
ALTER TABLE need ADD COLUMN escalated_to TEXT REFERENCES app_user (id);
ALTER TABLE need ADD COLUMN escalated_at TIMESTAMP;
-- The escalation sweep (open needs past their SLA) and the matching board's order.
CREATE INDEX need_sla_idx ON need (status, sla_due_at);

-- When the offering side answered a match, and when and by whom it was delivered (delivery
-- used to overwrite `responded_by`).
ALTER TABLE match_case ADD COLUMN responded_at TIMESTAMP;
ALTER TABLE match_case ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE match_case ADD COLUMN delivered_by TEXT REFERENCES app_user (id);
