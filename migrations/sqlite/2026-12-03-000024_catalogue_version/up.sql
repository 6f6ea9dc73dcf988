-- The catalogue's version: one row, bumped in the same transaction as any change to what a
-- published catalogue page shows (a product's content, status or communities), so that every
-- instance's cache of anonymous catalogue pages can tell a page it holds is out of date.
CREATE TABLE catalogue_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, version) VALUES (1, 0);
