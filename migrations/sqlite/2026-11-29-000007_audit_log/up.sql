-- The audit log: who did what, when and from where. One row per recorded action, written in the
-- same transaction as the action itself; never updated. Passwords are never stored here.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    assessment_id TEXT,
    details TEXT NOT NULL,
    client_address TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action_at ON audit_log (action, at);
CREATE INDEX audit_log_assessment_at ON audit_log (assessment_id, at);
