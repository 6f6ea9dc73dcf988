DROP TRIGGER product_search_delete;
DROP TRIGGER product_search_update;
DROP TRIGGER product_search_insert;
DROP TABLE product_search;
DROP TABLE product_community;
DROP TABLE product;
DROP TABLE category;
