CREATE TABLE answers_with_rowid (
    response_id TEXT NOT NULL REFERENCES responses (id),
    item_key TEXT NOT NULL,
    value TEXT NOT NULL,
    evidence TEXT,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, item_key)
);

INSERT INTO answers_with_rowid (response_id, item_key, value, evidence, updated_at, updated_by)
    SELECT response_id, item_key, value, evidence, updated_at, updated_by FROM answers;

DROP TABLE answers;

ALTER TABLE answers_with_rowid RENAME TO answers;
