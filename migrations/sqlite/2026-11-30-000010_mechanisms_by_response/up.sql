-- The inventory reads every mechanism of an assessment in the order of its reporting responses
-- and their entries. A table without rowid is stored in the order of its primary key, so one
-- response's mechanisms sit together in that order: read in one pass, with no look-up into the
-- table per index entry and no sort. The id stays unique (a mechanism is found by its id).
CREATE TABLE mechanisms_by_response (
    id TEXT NOT NULL UNIQUE,
    response_id TEXT NOT NULL REFERENCES responses (id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    partner_organization_id TEXT REFERENCES organizations (id),
    partner_name TEXT,
    direction TEXT,
    domains TEXT,
    level TEXT,
    legal_basis TEXT,
    legal_reference TEXT,
    channel TEXT,
    format TEXT,
    frequency TEXT,
    delay_days BIGINT,
    disaggregations TEXT,
    personal_data BOOLEAN,
    protection TEXT,
    status TEXT,
    problems TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, created_at, id)
) WITHOUT ROWID;

INSERT INTO mechanisms_by_response (id, response_id, version, name, description, partner_organization_id, partner_name, direction, domains, level, legal_basis, legal_reference, channel, format, frequency, delay_days, disaggregations, personal_data, protection, status, problems, created_at, updated_at, updated_by)
    SELECT id, response_id, version, name, description, partner_organization_id, partner_name, direction, domains, level, legal_basis, legal_reference, channel, format, frequency, delay_days, disaggregations, personal_data, protection, status, problems, created_at, updated_at, updated_by FROM mechanisms;

DROP TABLE mechanisms;

ALTER TABLE mechanisms_by_response RENAME TO mechanisms;

-- The exchange network reads seven columns of every mechanism of an assessment: an index that
-- holds them, led by the response, answers that read without touching the table's wider rows.
CREATE INDEX mechanisms_flows ON mechanisms (
    response_id, id, name, partner_organization_id, direction, domains, status
);
