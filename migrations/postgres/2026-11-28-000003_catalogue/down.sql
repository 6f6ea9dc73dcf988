DROP INDEX product_search_idx;
DROP TABLE product_community;
DROP TABLE product;
DROP TABLE category;
