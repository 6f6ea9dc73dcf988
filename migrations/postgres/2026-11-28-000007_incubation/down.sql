DROP TABLE match_case;
DROP TABLE need;
ALTER TABLE activity DROP COLUMN group_id;
DROP TABLE group_event;
DROP TABLE group_member;
DROP TABLE community_group;
