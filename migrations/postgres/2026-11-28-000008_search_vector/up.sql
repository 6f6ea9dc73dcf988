-- Search reads a stored tsvector: the planner may prefer a sequential scan over the GIN index
-- on a catalogue this size, and then each row must not be re-parsed (measured: 640 ms → a few
-- ms per search under load). PostgreSQL only; SQLite's FTS5 table already stores its index.
ALTER TABLE product ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
DROP INDEX product_search_idx;
CREATE INDEX product_search_idx ON product USING GIN (search_vector);
