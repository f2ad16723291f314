//! Inserts many rows at once (seeding the bench and large imports): one statement per batch.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use capacity_survey::store::DbConnection;
use capacity_survey::store::mechanisms::Mechanism;
use capacity_survey::store::schema::{answers, organizations, response_members, responses};

/// Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters.
const BATCH: usize = 1000;

/// A multi-row INSERT runs on the concrete connection: diesel builds it per backend.
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            DbConnection::Postgres(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub acronym: String,
    pub name_key: String,
    pub acronym_key: String,
    pub sector: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = responses)]
pub struct ResponseRow {
    pub id: String,
    pub assessment_id: String,
    pub organization_id: String,
    pub status: String,
    pub first_opened_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = answers)]
pub struct AnswerRow {
    pub response_id: String,
    pub item_key: String,
    pub value: String,
    pub evidence: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = response_members)]
pub struct MemberRow {
    pub response_id: String,
    pub user_id: String,
    pub joined_at: NaiveDateTime,
}

pub fn organizations(conn: &mut DbConnection, rows: &[OrganizationRow]) -> QueryResult<()> {
    for chunk in rows.chunks(BATCH) {
        insert_batch!(conn, organizations::table, chunk)?;
    }
    Ok(())
}

pub fn responses(conn: &mut DbConnection, rows: &[ResponseRow]) -> QueryResult<()> {
    for chunk in rows.chunks(BATCH) {
        insert_batch!(conn, responses::table, chunk)?;
    }
    Ok(())
}

pub fn answers(conn: &mut DbConnection, rows: &[AnswerRow]) -> QueryResult<()> {
    for chunk in rows.chunks(BATCH) {
        insert_batch!(conn, answers::table, chunk)?;
    }
    Ok(())
}

pub fn members(conn: &mut DbConnection, rows: &[MemberRow]) -> QueryResult<()> {
    for chunk in rows.chunks(BATCH) {
        insert_batch!(conn, response_members::table, chunk)?;
    }
    Ok(())
}

pub fn mechanisms(conn: &mut DbConnection, rows: &[Mechanism]) -> QueryResult<()> {
    // 24 columns a row: smaller batches.
    for chunk in rows.chunks(BATCH / 4) {
        insert_batch!(
            conn,
            capacity_survey::store::schema::mechanisms::table,
            chunk
        )?;
    }
    Ok(())
}
