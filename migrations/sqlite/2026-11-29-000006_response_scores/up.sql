-- A read model of each response's answers as the analysis views need them: per dimension the sum
-- of levels, scored and excluded items; per data domain whether the organization needs it,
-- produces it, publishes it and with which disaggregations. Rewritten in the transaction that saves
-- answers, deleted whenever an answer is written elsewhere, and rebuilt from the answers when
-- missing, so the capacity matrix and the gaps read one row per organization instead of every
-- answer.
CREATE TABLE response_scores (
    response_id TEXT PRIMARY KEY NOT NULL REFERENCES responses (id),
    dimensions TEXT NOT NULL,
    domains TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

