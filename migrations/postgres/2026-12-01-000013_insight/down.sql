DROP INDEX audit_event_time_idx;
DROP INDEX product_published_idx;
DROP INDEX need_created_idx;
DROP INDEX redemption_finished_idx;
DROP INDEX transfer_code_time_idx;
