DELETE FROM creation WHERE subject_kind IN ('NEED', 'GROUP');
ALTER TABLE creation DROP CONSTRAINT creation_subject_kind_check;
ALTER TABLE creation ADD CONSTRAINT creation_subject_kind_check
    CHECK (subject_kind IN ('PRODUCT', 'ACTIVITY', 'REWARD'));
