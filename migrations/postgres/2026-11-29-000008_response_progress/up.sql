-- Each response's progress (the required items relevant to its answers, and how many of them are
-- answered) joins its scores in the read model, so the organizer's progress page reads one row per
-- organization instead of every answer. Rows stored before carry no progress: they are dropped
-- here and rebuilt from the answers by the next view that reads them.
DELETE FROM response_scores;
ALTER TABLE response_scores ADD COLUMN progress_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE response_scores ADD COLUMN progress_answered BIGINT NOT NULL DEFAULT 0;
