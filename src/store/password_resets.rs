//! Queries on password reset links (only the hash of each token is stored) and on the password
//! they set.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{password_resets, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = password_resets)]
pub struct NewPasswordReset<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewPasswordReset<'_>) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_token_hash(
    conn: &mut DbConnection,
    hash: &str,
) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(hash))
        .select(PasswordReset::as_select())
        .get_result(conn)
        .optional()
}

/// Links of a user created since `since` (to limit how many a person can ask for).
pub fn count_since(
    conn: &mut DbConnection,
    user_id: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    password_resets::table
        .filter(password_resets::user_id.eq(user_id))
        .filter(password_resets::created_at.gt(since))
        .count()
        .get_result(conn)
}

/// Uses a link: true only for the first caller, and only before it expires.
pub fn mark_used(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(now)),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Ends every other open link of the user (a new password makes them pointless).
pub fn close_all(conn: &mut DbConnection, user_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
}

pub fn set_password_hash(conn: &mut DbConnection, user_id: &str, hash: &str) -> QueryResult<()> {
    let n = diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(diesel::result::Error::NotFound)
    }
}
