//! The email outbox: one row per message, inserted in the transaction of the event that causes
//! it and delivered later by a worker that claims rows with a conditional UPDATE (a lease).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::outbox;

/// One message, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub recipient_name: String,
    pub lang: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub dedupe_key: String,
    pub assessment_id: Option<String>,
    pub organization_id: Option<String>,
    pub response_id: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub sending_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Where replies go when the server has no reply-to address of its own.
    pub reply_to: Option<String>,
}

/// Where a message stands, for the pages that list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    /// Tried and failed at least once; will be tried again.
    Retrying,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Retrying => "retrying",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }
}

impl Message {
    pub fn status(&self) -> Status {
        if self.sent_at.is_some() {
            Status::Sent
        } else if self.failed_at.is_some() {
            Status::Failed
        } else if self.cancelled_at.is_some() {
            Status::Cancelled
        } else if self.sending_at.is_some() {
            Status::Sending
        } else if self.attempts > 0 {
            Status::Retrying
        } else {
            Status::Queued
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub recipient_name: String,
    pub lang: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub dedupe_key: String,
    pub assessment_id: Option<String>,
    pub organization_id: Option<String>,
    pub response_id: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub reply_to: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &NewMessage) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Message> {
    outbox::table
        .find(id)
        .select(Message::as_select())
        .get_result(conn)
}

pub fn find_by_dedupe_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Message>> {
    outbox::table
        .filter(outbox::dedupe_key.eq(key))
        .select(Message::as_select())
        .get_result(conn)
        .optional()
}

/// Ids of messages a worker may claim now: waiting, due, not being sent, no live lease.
pub fn due_ids(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .filter(outbox::cancelled_at.is_null())
        .filter(outbox::sending_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .filter(
            outbox::claimed_until
                .is_null()
                .or(outbox::claimed_until.le(now)),
        )
        .order(outbox::next_attempt_at)
        .limit(limit)
        .select(outbox::id)
        .load(conn)
}

/// Claims one message for `worker` until `lease_until`. The UPDATE repeats every condition of
/// [`due_ids`], so of two workers racing for a row exactly one gets `true`.
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::cancelled_at.is_null())
            .filter(outbox::sending_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.le(now)),
            ),
    )
    .set((
        outbox::claimed_by.eq(Some(worker)),
        outbox::claimed_until.eq(Some(lease_until)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records that the message is about to be handed to the mail server. Committed before the
/// send: a row left in this state by a crash is never sent again by itself (see
/// [`fail_interrupted`]). False when the lease was lost in between.
pub fn mark_sending(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::claimed_by.eq(worker))
            .filter(outbox::claimed_until.gt(now))
            .filter(outbox::sending_at.is_null())
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::cancelled_at.is_null()),
    )
    .set(outbox::sending_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn mark_sent(
    conn: &mut DbConnection,
    id: &str,
    attempts: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(Some(now)),
            outbox::attempts.eq(attempts),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A failed attempt that will be tried again at `next_at`: the send did not happen, so the
/// "sending" mark is lifted.
pub fn mark_retry(
    conn: &mut DbConnection,
    id: &str,
    attempts: i64,
    error: &str,
    next_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::last_error.eq(Some(error)),
            outbox::next_attempt_at.eq(next_at),
            outbox::sending_at.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Gives up on a message; organizers see it with its error and may retry it.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &str,
    attempts: i64,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::attempts.eq(attempts),
            outbox::last_error.eq(Some(error)),
            outbox::failed_at.eq(Some(now)),
            outbox::sending_at.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Drops a message that has not gone out (e.g. a reminder to a response submitted since).
pub fn mark_cancelled(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id).filter(outbox::sent_at.is_null()))
        .set((
            outbox::cancelled_at.eq(Some(now)),
            outbox::sending_at.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The error recorded on a message whose send was interrupted (crash, kill, lost lease).
pub const INTERRUPTED: &str = "interrupted while being sent (the server stopped); it may or may \
                               not have arrived, so it is not sent again unless retried";

/// Rows marked "sending" whose lease expired without a result: the process died mid-send. They
/// may have been delivered, so they are not sent again by themselves (at most once): they become
/// failed, for an organizer to retry. Returns how many.
pub fn fail_interrupted(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::sending_at.is_not_null())
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::cancelled_at.is_null())
            .filter(outbox::claimed_until.le(now)),
    )
    .set((
        outbox::failed_at.eq(Some(now)),
        outbox::last_error.eq(Some(INTERRUPTED)),
        outbox::claimed_by.eq(None::<String>),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// Cancels the reminders of a response still waiting in the outbox (it was just submitted).
pub fn cancel_reminders(
    conn: &mut DbConnection,
    response_id: &str,
    kinds: &[&str],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::response_id.eq(response_id))
            .filter(outbox::kind.eq_any(kinds))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::cancelled_at.is_null())
            .filter(outbox::sending_at.is_null()),
    )
    .set(outbox::cancelled_at.eq(Some(now)))
    .execute(conn)
}

/// Puts a failed message back in the queue, due now, with a fresh count of attempts.
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::failed_at.is_not_null())
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::failed_at.eq(None::<NaiveDateTime>),
        outbox::sending_at.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The emails about one organization in one assessment, newest first.
pub fn for_organization(
    conn: &mut DbConnection,
    assessment_id: &str,
    organization_id: &str,
) -> QueryResult<Vec<Message>> {
    outbox::table
        .filter(outbox::assessment_id.eq(assessment_id))
        .filter(outbox::organization_id.eq(organization_id))
        .order((outbox::created_at.desc(), outbox::recipient))
        .select(Message::as_select())
        .load(conn)
}

/// Every failed message, newest first.
pub fn failed(conn: &mut DbConnection) -> QueryResult<Vec<Message>> {
    outbox::table
        .filter(outbox::failed_at.is_not_null())
        .order(outbox::failed_at.desc())
        .select(Message::as_select())
        .load(conn)
}

/// How many messages are failed in an assessment (for a notice on its page).
pub fn failed_count(conn: &mut DbConnection, assessment_id: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::assessment_id.eq(assessment_id))
        .filter(outbox::failed_at.is_not_null())
        .count()
        .get_result(conn)
}

/// Messages waiting to go out (not sent, failed or cancelled).
pub fn waiting_count(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::failed_at.is_null())
        .filter(outbox::cancelled_at.is_null())
        .count()
        .get_result(conn)
}

/// Failed since `since`, for the organizers' digest.
pub fn failed_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Vec<Message>> {
    outbox::table
        .filter(outbox::failed_at.gt(since))
        .order(outbox::failed_at)
        .select(Message::as_select())
        .load(conn)
}

/// Every message (tests and the bench look at the whole table).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Message>> {
    outbox::table
        .order((outbox::created_at, outbox::id))
        .select(Message::as_select())
        .load(conn)
}
