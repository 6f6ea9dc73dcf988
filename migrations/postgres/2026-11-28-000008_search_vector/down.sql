DROP INDEX product_search_idx;
ALTER TABLE product DROP COLUMN search_vector;
CREATE INDEX product_search_idx ON product USING GIN (to_tsvector('simple', search_text));
