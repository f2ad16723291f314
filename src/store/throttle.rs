//! Queries on throttled attempts (failed logins), counted by key over a time window.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::throttle_events;

pub fn record(conn: &mut DbConnection, key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(throttle_events::table)
        .values((
            throttle_events::id.eq(super::new_id()),
            throttle_events::key.eq(key),
            throttle_events::at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The times of the attempts under `key` since `since`, oldest first.
pub fn since(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    throttle_events::table
        .filter(throttle_events::key.eq(key))
        .filter(throttle_events::at.ge(since))
        .order(throttle_events::at)
        .select(throttle_events::at)
        .load(conn)
}

pub fn clear(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(throttle_events::table.filter(throttle_events::key.eq(key)))
        .execute(conn)
        .map(|_| ())
}

/// Forgets attempts older than `before` (they no longer count).
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.filter(throttle_events::at.lt(before))).execute(conn)
}
