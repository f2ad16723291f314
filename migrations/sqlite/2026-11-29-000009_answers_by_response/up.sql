-- Every questionnaire page reads all the answers of one response. A table without rowid is stored
-- in the order of its primary key, so those answers sit together and are read in one pass over
-- the key, instead of an index lookup followed by a table lookup per answer.
CREATE TABLE answers_by_response (
    response_id TEXT NOT NULL REFERENCES responses (id),
    item_key TEXT NOT NULL,
    value TEXT NOT NULL,
    evidence TEXT,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, item_key)
) WITHOUT ROWID;

INSERT INTO answers_by_response (response_id, item_key, value, evidence, updated_at, updated_by)
    SELECT response_id, item_key, value, evidence, updated_at, updated_by FROM answers;

DROP TABLE answers;

ALTER TABLE answers_by_response RENAME TO answers;
