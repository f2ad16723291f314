ALTER TABLE outbox DROP COLUMN reply_to;
ALTER TABLE assessments DROP COLUMN averages_min_peers;
ALTER TABLE assessments DROP COLUMN time_zone;
