//! Queries on logged-in sessions. A row's id is the SHA-256 of the secret the session cookie
//! holds, so this table never holds what a cookie holds; ending a session deletes its row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{sessions, users};
use super::users::Account;

/// A session row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: String,
    pub address: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: &'a str,
    pub address: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, row: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The account of a session with its start and last use, in one query: what every logged-in
/// request reads. `None` when the session was ended (or belongs to another account).
pub fn account_of(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
) -> QueryResult<Option<(Account, NaiveDateTime, NaiveDateTime)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::user_id.eq(user_id))
        .select((
            Account::as_select(),
            sessions::created_at,
            sessions::last_seen_at,
        ))
        .get_result(conn)
        .optional()
}

/// Records a use of the session.
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Ends one session; whether it existed.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    diesel::delete(sessions::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// Ends one session of an account (not someone else's); whether it existed.
pub fn delete_of_user(conn: &mut DbConnection, id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Ends every session of an account; how many there were.
pub fn delete_all_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// The sessions of an account still in use: seen after `idle_since`, started after
/// `started_since`; the most recently seen first.
pub fn active_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    idle_since: NaiveDateTime,
    started_since: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(sessions::created_at.gt(started_since))
        .order((sessions::last_seen_at.desc(), sessions::id))
        .select(SessionRow::as_select())
        .load(conn)
}

/// Deletes the sessions no longer usable: idle since `idle_since` or started before
/// `started_since`; how many.
pub fn delete_expired(
    conn: &mut DbConnection,
    idle_since: NaiveDateTime,
    started_since: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .le(idle_since)
                .or(sessions::created_at.le(started_since)),
        ),
    )
    .execute(conn)
}

pub fn count_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
