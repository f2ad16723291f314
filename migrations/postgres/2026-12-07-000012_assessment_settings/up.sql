-- The forum's time zone (an IANA name) in which the assessment's times are shown, and how many
-- other organizations must have submitted before a representative sees national averages.
ALTER TABLE assessments ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Panama';
ALTER TABLE assessments ADD COLUMN averages_min_peers BIGINT NOT NULL DEFAULT 4;
-- Where a reply to this message goes when the server has no --mail-reply-to: the organizer who
-- caused it (an invitation); empty for messages nobody can usefully answer.
ALTER TABLE outbox ADD COLUMN reply_to TEXT;
