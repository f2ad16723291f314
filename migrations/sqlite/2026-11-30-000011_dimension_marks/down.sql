DROP INDEX response_scores_summary;
DROP INDEX responses_heads;

-- The previous code reads dimension scores without answer marks: it computes them again.
DELETE FROM response_scores;
