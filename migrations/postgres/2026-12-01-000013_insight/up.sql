-- Insight: the staff dashboard's aggregates and exports read by period. Each index serves a
-- range on the time that dates a figure, so a period reads its own rows only.

-- Points earned and redeemed per month, and the liability's monthly flows: transfers of a
-- code in a period.
CREATE INDEX transfer_code_time_idx ON transfer (code, created_at);
-- Merchants by redemptions: confirmed redemptions by the time they were confirmed.
CREATE INDEX redemption_finished_idx ON redemption (status, finished_at);
-- Needs opened per community in a period.
CREATE INDEX need_created_idx ON need (created_at);
-- Products published in a period.
CREATE INDEX product_published_idx ON product (status, published_at);
-- The audit trail exported for a period.
CREATE INDEX audit_event_time_idx ON audit_event (created_at);
