DROP TABLE password_resets;
DROP TABLE reminder_log;
DROP TABLE reminder_policies;
DROP TABLE outbox;
