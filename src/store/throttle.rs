//! Queries on throttled attempts (password checks, reset requests), counted by key over a time
//! window.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use super::schema::throttle_events;

/// Records an attempt under `key`; returns its id.
pub fn record(conn: &mut DbConnection, key: &str, at: NaiveDateTime) -> QueryResult<String> {
    let id = super::new_id();
    diesel::insert_into(throttle_events::table)
        .values((
            throttle_events::id.eq(&id),
            throttle_events::key.eq(key),
            throttle_events::at.eq(at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// For the rest of the current transaction, no other transaction (of this process or of another
/// instance on the same database) counts or reserves attempts under `keys`. PostgreSQL: one
/// transaction-scoped advisory lock per key, taken in sorted order so two callers never wait on
/// each other in a circle. SQLite lets one transaction write at a time: the caller's first
/// statement must be a write (the reservation's insert), which takes that lock before anything
/// is counted.
pub fn lock_keys(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<()> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for key in sorted {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// The times of the attempts under `key` since `since`, oldest first, leaving out the attempts
/// `except` names.
pub fn since_except(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
    except: &[String],
) -> QueryResult<Vec<NaiveDateTime>> {
    throttle_events::table
        .filter(throttle_events::key.eq(key))
        .filter(throttle_events::at.ge(since))
        .filter(throttle_events::id.ne_all(except))
        .order(throttle_events::at)
        .select(throttle_events::at)
        .load(conn)
}

/// Forgets the attempts with these ids.
pub fn delete(conn: &mut DbConnection, ids: &[String]) -> QueryResult<()> {
    diesel::delete(throttle_events::table.filter(throttle_events::id.eq_any(ids)))
        .execute(conn)
        .map(|_| ())
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
