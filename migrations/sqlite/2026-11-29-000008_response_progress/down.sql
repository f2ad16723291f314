ALTER TABLE response_scores DROP COLUMN progress_answered;
ALTER TABLE response_scores DROP COLUMN progress_required;
