-- Failed logins (and other throttled attempts), by key: "account:<email>" or "address:<ip>".
-- Kept in the database so that the limit holds across several server instances.
CREATE TABLE throttle_events (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_events_key_at ON throttle_events (key, at);
