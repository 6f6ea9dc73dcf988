-- Development only: a database with review holds cannot go back (transfers are immutable).
DROP TABLE client_sighting;
ALTER TABLE review_case DROP COLUMN users;
ALTER TABLE review_case DROP COLUMN transfers;
