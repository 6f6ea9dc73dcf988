DROP TABLE transfer;
DROP FUNCTION transfer_is_immutable();
DROP TABLE account;
DROP TABLE organisation_member;
DROP TABLE organisation;
