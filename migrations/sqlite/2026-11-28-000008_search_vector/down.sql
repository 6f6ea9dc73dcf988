-- PostgreSQL stores a tsvector for search in this migration; SQLite's FTS5 table (migration
-- 000003) already does the equivalent, so there is nothing to change here.
SELECT 1;
