DROP TABLE notification_opt_out;
DROP TABLE email_verification;
DROP TABLE email_token;
DROP TABLE outbox_message;
