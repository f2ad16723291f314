-- The stored dimension scores now end with one answer mark per maturity item (what a dimension
-- page counts). Rows in the previous form would be recomputed on every read and never replaced
-- (a reader only adds missing rows), so the read model is emptied: the first view of each
-- assessment computes and stores it again from the answers.
DELETE FROM response_scores;

-- Every analysis view reads the responses of an assessment (id, organization, status, submission
-- time): an index on the assessment that includes them lets PostgreSQL answer from the index.
-- The dimension scores get no such index here: a PostgreSQL index entry is limited to about
-- 2,700 bytes, and an instrument with many dimensions could store more.
CREATE INDEX responses_heads ON responses (assessment_id)
    INCLUDE (id, organization_id, status, submitted_at);
