DROP TABLE transfer;
DROP TABLE account;
DROP TABLE organisation_member;
DROP TABLE organisation;
