-- The stored dimension scores now end with one answer mark per maturity item (what a dimension
-- page counts). Rows in the previous form would be recomputed on every read and never replaced
-- (a reader only adds missing rows), so the read model is emptied: the first view of each
-- assessment computes and stores it again from the answers.
DELETE FROM response_scores;

-- Every analysis view reads the responses of an assessment (id, organization, status, submission
-- time), the capacity matrix and dimension pages the dimension scores of each, the progress page
-- their progress. Two covering indexes answer these from small index pages, with no look-up into
-- the tables per response: at 10,000 organizations the rows of `response_scores` (~700 bytes,
-- mostly the domain flags) no longer fit the page cache, this index of them (~200 bytes a
-- response) does.
CREATE INDEX responses_heads ON responses (assessment_id, id, organization_id, status, submitted_at);
CREATE INDEX response_scores_summary
    ON response_scores (response_id, progress_required, progress_answered, dimensions);
