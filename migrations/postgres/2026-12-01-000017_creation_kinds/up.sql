-- Needs and groups are made once per idempotency key too (postNeed, foundGroup).
ALTER TABLE creation DROP CONSTRAINT creation_subject_kind_check;
ALTER TABLE creation ADD CONSTRAINT creation_subject_kind_check
    CHECK (subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD', 'NEED', 'GROUP'));
