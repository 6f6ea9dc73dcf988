-- The staff dashboard at ten times the district (docs/PERFORMANCE.md): indexes that hold
-- everything a figure reads, so its sums are index-only scans instead of reads of the wide
-- rows, and the indexes a figure narrowed to a community or a category starts from.

-- Points per month and the liability's monthly flows: the amounts of transfers of a code in
-- a period. Serves everything the (code, created_at) index did.
DROP INDEX transfer_code_time_idx;
CREATE INDEX transfer_code_time_amount_idx ON transfer (code, created_at, amount);
-- Hours per community and the impact figures: verified participations summed per activity.
CREATE INDEX participation_verified_idx ON participation (activity_id, verified_minutes, points_awarded)
    WHERE verified_at IS NOT NULL;
-- Products published in a period, per category and organisation, and (by id) the communities
-- they serve. Serves everything the index without the id did.
DROP INDEX product_published_idx;
CREATE INDEX product_published_keys_idx ON product (status, published_at, category_id, organisation_id, id);
-- A figure narrowed to a community or a category starts from that community's or
-- category's activities (in the period), then reaches their participations and transfers.
CREATE INDEX activity_community_idx ON activity (community_id, starts_at);
CREATE INDEX activity_category_idx ON activity (category_id, starts_at);
