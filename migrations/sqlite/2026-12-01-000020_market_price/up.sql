-- A low-cost (低偿) product states the market price it is below, so residents and staff can see
-- the discount; the catalogue checks the yuan price is lower.
ALTER TABLE product ADD COLUMN market_price_fen BIGINT
    CHECK (market_price_fen IS NULL OR market_price_fen > 0);
