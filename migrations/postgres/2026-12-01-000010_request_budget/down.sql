DROP TABLE request_budget;
