//! Queries on the reminder policy of assessments and the ledger of reminders scheduled.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{invitations, reminder_log, reminder_policies, responses};
use crate::domain::reminders::ReminderPolicy;

pub const KIND_REMINDER: &str = "reminder";
pub const KIND_FINAL: &str = "final_reminder";
pub const KIND_MANUAL: &str = "manual";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = reminder_policies)]
pub struct PolicyRow {
    pub assessment_id: String,
    pub enabled: bool,
    pub first_after_days: i64,
    pub every_days: i64,
    pub max_reminders: i64,
    pub final_days_before: i64,
    pub updated_at: NaiveDateTime,
}

impl PolicyRow {
    pub fn policy(&self) -> ReminderPolicy {
        ReminderPolicy {
            enabled: self.enabled,
            first_after_days: self.first_after_days,
            every_days: self.every_days,
            max_reminders: self.max_reminders,
            final_days_before: self.final_days_before,
        }
    }
}

/// The policy of an assessment; the defaults when none was saved.
pub fn policy(conn: &mut DbConnection, assessment_id: &str) -> QueryResult<ReminderPolicy> {
    Ok(reminder_policies::table
        .find(assessment_id)
        .select(PolicyRow::as_select())
        .get_result(conn)
        .optional()?
        .map(|row| row.policy())
        .unwrap_or_default())
}

/// Every saved policy, by assessment id.
pub fn all_policies(conn: &mut DbConnection) -> QueryResult<Vec<PolicyRow>> {
    reminder_policies::table
        .select(PolicyRow::as_select())
        .load(conn)
}

pub fn save_policy(
    conn: &mut DbConnection,
    assessment_id: &str,
    policy: &ReminderPolicy,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = PolicyRow {
        assessment_id: assessment_id.to_owned(),
        enabled: policy.enabled,
        first_after_days: policy.first_after_days,
        every_days: policy.every_days,
        max_reminders: policy.max_reminders,
        final_days_before: policy.final_days_before,
        updated_at: now,
    };
    let updated = diesel::update(reminder_policies::table.find(assessment_id))
        .set(&row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(reminder_policies::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// (response id, ledger kind, how many, latest day).
pub type LedgerCount = (String, String, i64, Option<NaiveDate>);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reminder_log)]
pub struct NewLogEntry<'a> {
    pub response_id: &'a str,
    pub slot: &'a str,
    pub kind: &'a str,
    pub sent_on: NaiveDate,
    pub recipients: i64,
    pub created_at: NaiveDateTime,
    pub created_by: Option<&'a str>,
}

/// Records a reminder in the ledger. The primary key (response, slot) makes a second insert of
/// the same reminder fail with a unique violation, which rolls its transaction back.
pub fn log(conn: &mut DbConnection, entry: &NewLogEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(reminder_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

pub fn slot_taken(conn: &mut DbConnection, response_id: &str, slot: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        reminder_log::table.find((response_id, slot)),
    ))
    .get_result(conn)
}

/// (response id, kind, how many, latest day) of every response of an assessment that has
/// reminders, from one grouped query.
pub fn history_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<LedgerCount>> {
    reminder_log::table
        .inner_join(responses::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .group_by((reminder_log::response_id, reminder_log::kind))
        .select((
            reminder_log::response_id,
            reminder_log::kind,
            diesel::dsl::count_star(),
            diesel::dsl::max(reminder_log::sent_on),
        ))
        .load(conn)
}

/// (response id, kind, how many, latest day) of one response.
pub fn history_of_response(
    conn: &mut DbConnection,
    response_id: &str,
) -> QueryResult<Vec<LedgerCount>> {
    reminder_log::table
        .filter(reminder_log::response_id.eq(response_id))
        .group_by((reminder_log::response_id, reminder_log::kind))
        .select((
            reminder_log::response_id,
            reminder_log::kind,
            diesel::dsl::count_star(),
            diesel::dsl::max(reminder_log::sent_on),
        ))
        .load(conn)
}

/// (response id, organization id, day of the first invitation) of every response of an
/// assessment that is not submitted and has an invitation: what the scheduler looks at.
pub fn pending_responses(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(String, String, Option<NaiveDateTime>)>> {
    responses::table
        .inner_join(invitations::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .filter(responses::status.ne(super::responses::STATUS_SUBMITTED))
        .group_by((responses::id, responses::organization_id))
        .select((
            responses::id,
            responses::organization_id,
            diesel::dsl::min(invitations::created_at),
        ))
        .load(conn)
}
