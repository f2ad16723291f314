-- Instruments are data: the source text of every version an assessment may pin.
CREATE TABLE instruments (
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    title_es TEXT NOT NULL,
    title_en TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key, version)
);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    title_es TEXT NOT NULL,
    title_en TEXT NOT NULL,
    instrument_key TEXT NOT NULL,
    instrument_version TEXT NOT NULL,
    opens_on DATE NOT NULL,
    closes_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (instrument_key, instrument_version) REFERENCES instruments (key, version)
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    acronym TEXT NOT NULL,
    -- Lower-cased copies that make name and acronym unique regardless of case.
    name_key TEXT NOT NULL UNIQUE,
    acronym_key TEXT NOT NULL UNIQUE,
    sector TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE responses (
    id TEXT PRIMARY KEY NOT NULL,
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'reopened')),
    first_opened_at TIMESTAMP,
    last_activity_at TIMESTAMP,
    submitted_at TIMESTAMP,
    submitted_by TEXT REFERENCES users (id),
    reopened_at TIMESTAMP,
    reopen_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (assessment_id, organization_id)
);
CREATE INDEX responses_organization ON responses (organization_id);

-- Who may read and write a response: the representatives who accepted an invitation to it.
CREATE TABLE response_members (
    response_id TEXT NOT NULL REFERENCES responses (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (response_id, user_id)
);
CREATE INDEX response_members_user ON response_members (user_id);

-- One version counter per section of a response, for the conflict check on save.
CREATE TABLE response_sections (
    response_id TEXT NOT NULL REFERENCES responses (id),
    section_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, section_key)
);

-- One row per (response, item); grid cells use the key section.domain.column.
CREATE TABLE answers (
    response_id TEXT NOT NULL REFERENCES responses (id),
    item_key TEXT NOT NULL,
    value TEXT NOT NULL,
    evidence TEXT,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, item_key)
);

CREATE TABLE mechanisms (
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
CREATE INDEX mechanisms_response ON mechanisms (response_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    response_id TEXT NOT NULL REFERENCES responses (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    lang TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    used_by TEXT REFERENCES users (id),
    revoked_at TIMESTAMP
);
CREATE INDEX invitations_response ON invitations (response_id);
