DROP TABLE creation;
