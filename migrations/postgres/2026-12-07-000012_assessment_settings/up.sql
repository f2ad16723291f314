-- The forum's time zone (an IANA name) in which the assessment's times are shown, and how many
-- other organizations must have submitted before a representative sees national averages.
ALTER TABLE assessments ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Panama';
ALTER TABLE assessments ADD COLUMN averages_min_peers BIGINT NOT NULL DEFAULT 4;
