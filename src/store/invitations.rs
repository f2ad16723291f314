//! Queries on invitations (only the hash of each token is stored).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{invitations, responses};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: String,
    pub response_id: String,
    pub email: String,
    pub name: String,
    pub lang: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The account that accepted it.
    pub used_by: Option<String>,
}

impl Invitation {
    /// Whether the link still works at `now`.
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && now < self.expires_at
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub response_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub lang: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub created_by: Option<&'a str>,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewInvitation<'_>) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Invitation> {
    invitations::table
        .find(id)
        .select(Invitation::as_select())
        .get_result(conn)
}

pub fn find_by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(hash))
        .select(Invitation::as_select())
        .get_result(conn)
        .optional()
}

/// Marks an invitation used; false when it was used or revoked in between (single use).
pub fn mark_used(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set((
        invitations::used_at.eq(Some(now)),
        invitations::used_by.eq(Some(user_id)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn revoke(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(id)
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Every invitation of an assessment, newest first.
pub fn list_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<Invitation>> {
    invitations::table
        .inner_join(responses::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .order(invitations::created_at.desc())
        .select(Invitation::as_select())
        .load(conn)
}
