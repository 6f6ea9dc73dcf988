DROP INDEX activity_category_idx;
DROP INDEX activity_community_idx;
DROP INDEX product_published_keys_idx;
CREATE INDEX product_published_idx ON product (status, published_at, category_id, organisation_id);
DROP INDEX participation_verified_idx;
DROP INDEX transfer_code_time_amount_idx;
CREATE INDEX transfer_code_time_idx ON transfer (code, created_at);
