//! Submitting a response (when nothing required is missing) and reopening a submitted one.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::mechanisms::mechanism_values;
use super::{ResponseContext, context_of, saved_answers};
use crate::domain::answers::{self, AnswerValue};
use crate::error::AppError;
use crate::mail::Kind;
use crate::service::audit::{self, Action, Object};
use crate::service::email::MailEnv;
use crate::store::mechanisms::{self as mechanism_rows, Mechanism};
use crate::store::responses as rows;
use crate::store::{self, DbConnection};

/// One missing required answer, for the review page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub section: String,
    /// Item key, grid cell key, or `mechanism:<id>`.
    pub key: String,
}

/// Every required answer still missing (items, grid cells, incomplete mechanism entries).
pub fn missing(
    ctx: &ResponseContext,
    answers: &BTreeMap<String, AnswerValue>,
    mechanisms: &[Mechanism],
) -> Vec<Missing> {
    let mut missing: Vec<Missing> = answers::missing_required(&ctx.instrument, answers)
        .into_iter()
        .map(|(section, key)| Missing { section, key })
        .collect();
    if let Some((section, group)) = ctx.instrument.mechanisms() {
        for m in mechanisms {
            if !answers::missing_mechanism_fields(group, &mechanism_values(m)).is_empty() {
                missing.push(Missing {
                    section: section.key.clone(),
                    key: format!("mechanism:{}", m.id),
                });
            }
        }
    }
    missing
}

#[derive(Debug, Clone)]
pub enum SubmitOutcome {
    Submitted,
    Incomplete(Vec<Missing>),
}

/// Submits the response when nothing required is missing; records who and when. In the same
/// transaction: the confirmation to every representative, and the cancellation of reminders
/// still waiting in the outbox.
pub fn submit(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    ctx: &ResponseContext,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<SubmitOutcome, AppError> {
    let user_id = by.user_id.as_deref().unwrap_or_default();
    crate::store::write(conn, |conn| {
        let answers = saved_answers(conn, ctx)?;
        let mechanisms = mechanism_rows::list_for_response(conn, &ctx.response.id)?;
        let missing = missing(ctx, &answers.values, &mechanisms);
        if !missing.is_empty() {
            return Ok(SubmitOutcome::Incomplete(missing));
        }
        if rows::submit(conn, &ctx.response.id, user_id, now)? {
            super::emails::queue_submission(conn, env, ctx, user_id, now)?;
            store::outbox::cancel_reminders(
                conn,
                &ctx.response.id,
                &[Kind::Reminder.key(), Kind::FinalReminder.key()],
                now,
            )?;
            let object = Object::new("response", &ctx.response.id)
                .in_assessment(&ctx.response.assessment_id);
            audit::record(conn, by, Action::ResponseSubmitted, object, "", now)?;
        }
        Ok(SubmitOutcome::Submitted)
    })
}

/// Reopens a submitted response with a reason; false when it was not submitted. The notice to
/// its representatives is queued in the same transaction.
pub fn reopen(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    response_id: &str,
    reason: &str,
    by: &audit::Actor,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::store::write(conn, |conn| {
        let response = rows::find(conn, response_id)?;
        if !rows::reopen(conn, response_id, reason, now)? {
            return Ok(false);
        }
        let object = Object::new("response", response_id).in_assessment(&response.assessment_id);
        audit::record(conn, by, Action::ResponseReopened, object, reason, now)?;
        let ctx = context_of(conn, env.instruments, response)?;
        super::emails::queue_reopened(conn, env, &ctx, reason, now)?;
        Ok(true)
    })
}
