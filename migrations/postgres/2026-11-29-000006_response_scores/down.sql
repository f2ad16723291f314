DROP TABLE response_scores;
