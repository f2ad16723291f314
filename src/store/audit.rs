//! Queries on the audit log: appending a row, and reading it back filtered, newest first.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_log;

/// One recorded action.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_email: String,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub assessment_id: Option<String>,
    pub details: String,
    pub client_address: Option<String>,
}

/// A row to append.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub id: &'a str,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<&'a str>,
    pub actor_email: &'a str,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub assessment_id: Option<&'a str>,
    pub details: &'a str,
    pub client_address: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, entry: &NewAuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

/// What to select; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<String>,
    /// Part of the actor's email, matched without regard to case.
    pub actor: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this time (exclusive).
    pub until: Option<NaiveDateTime>,
    pub assessment_id: Option<String>,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

fn filtered(filter: &AuditFilter) -> audit_log::BoxedQuery<'static, Backend> {
    let mut query = audit_log::table.into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(actor) = &filter.actor {
        // Emails are stored lower-case; LIKE wildcards typed by the user are taken literally.
        let escaped = actor
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            audit_log::actor_email
                .like(format!("%{escaped}%"))
                .escape('\\'),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::at.lt(until));
    }
    if let Some(assessment) = &filter.assessment_id {
        query = query.filter(audit_log::assessment_id.eq(assessment.clone()));
    }
    query
}

/// The rows matching `filter`, newest first, `limit` of them after skipping `offset`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    filtered(filter)
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)
}

/// How many rows match `filter`.
pub fn count(conn: &mut DbConnection, filter: &AuditFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}
