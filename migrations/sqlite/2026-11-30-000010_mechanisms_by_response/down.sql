CREATE TABLE mechanisms_with_rowid (
    id TEXT PRIMARY KEY NOT NULL,
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
    updated_by TEXT REFERENCES users (id)
);

INSERT INTO mechanisms_with_rowid (id, response_id, version, name, description, partner_organization_id, partner_name, direction, domains, level, legal_basis, legal_reference, channel, format, frequency, delay_days, disaggregations, personal_data, protection, status, problems, created_at, updated_at, updated_by)
    SELECT id, response_id, version, name, description, partner_organization_id, partner_name, direction, domains, level, legal_basis, legal_reference, channel, format, frequency, delay_days, disaggregations, personal_data, protection, status, problems, created_at, updated_at, updated_by FROM mechanisms;

DROP TABLE mechanisms;

ALTER TABLE mechanisms_with_rowid RENAME TO mechanisms;

CREATE INDEX mechanisms_response ON mechanisms (response_id);
