DROP TABLE audit_event;
DROP TABLE login_throttle;
DROP TABLE refresh_token;
DROP TABLE app_user;
DROP TABLE community;
