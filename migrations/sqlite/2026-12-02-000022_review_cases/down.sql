DROP TABLE review_cursor;
DROP TABLE review_case;
