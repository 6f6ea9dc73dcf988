ALTER TABLE match_case DROP COLUMN delivered_by;
ALTER TABLE match_case DROP COLUMN delivered_at;
ALTER TABLE match_case DROP COLUMN responded_at;
DROP INDEX need_sla_idx;
ALTER TABLE need DROP COLUMN escalated_at;
ALTER TABLE need DROP COLUMN escalated_to;
ALTER TABLE need DROP COLUMN sla_due_at;
