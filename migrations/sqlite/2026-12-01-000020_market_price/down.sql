ALTER TABLE product DROP COLUMN market_price_fen;
