-- Email: the outbox (one row per message, written in the transaction of the event that causes it),
-- the reminder policy of each assessment, the ledger of reminders scheduled, password reset links.

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    lang TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- One message per event and recipient, whoever enqueues it and however often.
    dedupe_key TEXT NOT NULL UNIQUE,
    assessment_id TEXT REFERENCES assessments (id),
    organization_id TEXT REFERENCES organizations (id),
    response_id TEXT REFERENCES responses (id),
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A lease: the worker that set it owns the row until then.
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    -- Written (and committed) just before the message is handed to the SMTP server; a row with it
    -- and without sent_at was interrupted mid-send and is never sent again by itself.
    sending_at TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    -- A reminder that became pointless before it went out (the response was submitted).
    cancelled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX outbox_organization ON outbox (organization_id, created_at);
CREATE INDEX outbox_response ON outbox (response_id);

-- Absent row: the defaults (see domain::reminders::ReminderPolicy::default).
CREATE TABLE reminder_policies (
    assessment_id TEXT PRIMARY KEY NOT NULL REFERENCES assessments (id),
    enabled BOOLEAN NOT NULL,
    first_after_days BIGINT NOT NULL,
    every_days BIGINT NOT NULL,
    max_reminders BIGINT NOT NULL,
    final_days_before BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row per reminder scheduled for a response: slot is the reminder number ("1", "2", ...),
-- "final", or "manual-<date>". The primary key is what keeps two schedulers from doubling one.
CREATE TABLE reminder_log (
    response_id TEXT NOT NULL REFERENCES responses (id),
    slot TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_on DATE NOT NULL,
    recipients BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users (id),
    PRIMARY KEY (response_id, slot)
);

CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id);
