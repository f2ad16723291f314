//! Delivery of the outbox: a worker moves each due message through its states (claimed under a
//! lease, sending, then sent, retried or failed) and hands it to the mail transport. `jobs` runs
//! a worker every few seconds.
//!
//! Delivery is at most once. A worker claims a row with a conditional UPDATE (a lease), then
//! commits "sending" before it talks to the mail server, and "sent" after the server's 250. A
//! crash between the two leaves a row that may or may not have arrived: it is never sent again by
//! itself but turns failed, with an explanation, for an organizer to retry. We chose this over at
//! least once because a duplicate invitation, reminder or reset link confuses people, while the
//! window is a few seconds per crash and the row stays visible. Failures with an answer from the
//! server (or no connection at all) mean the message was not accepted, so those are retried.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::error::AppError;
use crate::mail::{Kind, Mailer, Outgoing, SendError};
use crate::service::Clock;
use crate::service::email::{LEASE_MINUTES, MAX_ATTEMPTS, backoff};
use crate::store::{self, DbConnection, Pool, outbox};

pub use super::records::Message;

/// Messages one delivery pass takes at most (the next pass takes the rest).
pub const BATCH: i64 = 50;

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    /// Failed this time, will be tried again later.
    pub retried: usize,
    /// Given up (refused by the server, or the last attempt).
    pub failed: usize,
    /// Reminders dropped because their response was submitted meanwhile.
    pub cancelled: usize,
    /// Rows found interrupted mid-send by a dead process (made failed, not resent).
    pub interrupted: usize,
}

/// One delivering worker: an id for its claims, the database, a transport and a clock.
pub struct Worker {
    pub id: String,
    pub pool: Pool,
    pub mailer: Arc<Mailer>,
    pub clock: Arc<dyn Clock>,
}

impl Worker {
    /// Sends what is due now, one message at a time. A message is claimed before anything else,
    /// so several workers (threads or processes) can run this at once and each message goes to
    /// exactly one of them.
    pub async fn deliver_due(&self) -> Result<DeliveryReport, AppError> {
        let mut report = DeliveryReport::default();
        let now = self.clock.now();
        let (interrupted, due) =
            store::run_blocking(&self.pool, move |conn| take_due(conn, now, BATCH)).await?;
        if interrupted > 0 {
            tracing::warn!(
                count = interrupted,
                "emails interrupted while being sent by a stopped process are marked failed; \
                 an organizer can retry them"
            );
        }
        report.interrupted = interrupted;
        for id in due {
            let now = self.clock.now();
            let lease_until = now + chrono::Duration::minutes(LEASE_MINUTES);
            let worker = self.id.clone();
            let claimed = store::run_blocking(&self.pool, move |conn| {
                claim(conn, &id, &worker, now, lease_until)
            })
            .await?;
            let Some((row, go)) = claimed else {
                continue;
            };
            report.claimed += 1;
            if !go {
                report.cancelled += 1;
                continue;
            }
            let result = self.mailer.send(&outgoing(&row)).await;
            let attempts = row.attempts + 1;
            let now = self.clock.now();
            let unreachable = matches!(&result, Err(SendError::Unreachable(_)));
            let outcome = match result {
                Ok(()) => Outcome::Sent,
                Err(SendError::Permanent(error)) => Outcome::Failed(error),
                Err(SendError::Transient(error) | SendError::Unreachable(error))
                    if attempts >= MAX_ATTEMPTS =>
                {
                    Outcome::Failed(error)
                }
                Err(SendError::Transient(error) | SendError::Unreachable(error)) => {
                    Outcome::Retry(error, now + backoff(attempts))
                }
            };
            match &outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Retry(error, next) => {
                    report.retried += 1;
                    tracing::warn!(email = %row.id, kind = %row.kind, attempts, %next, %error, "email not sent; will retry");
                }
                Outcome::Failed(error) => {
                    report.failed += 1;
                    tracing::warn!(email = %row.id, kind = %row.kind, attempts, %error, "email failed");
                }
            }
            let id = row.id.clone();
            store::run_blocking(&self.pool, move |conn| {
                record(conn, &id, attempts, outcome, now)
            })
            .await?;
            // The server cannot be reached: the other rows would fail the same way; leave them
            // for the next pass instead of spending their attempts now.
            if unreachable {
                break;
            }
        }
        Ok(report)
    }
}

/// What to record after a send.
pub enum Outcome {
    Sent,
    Retry(String, NaiveDateTime),
    Failed(String),
}

/// Marks rows left mid-send by a stopped process as failed, and lists the ids due now
/// (at most `batch`). Returns how many were marked and the due ids.
pub fn take_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    batch: i64,
) -> Result<(usize, Vec<String>), AppError> {
    let interrupted = outbox::fail_interrupted(conn, now)?;
    Ok((interrupted, outbox::due_ids(conn, now, batch)?))
}

/// Claims the row for `worker` until `lease_until`. None when another worker has it; else the
/// row and whether to send it: a reminder whose response was submitted meanwhile is cancelled
/// instead, and a row to send is marked sending before the caller talks to the mail server
/// (see `jobs` on why at most once).
pub fn claim(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<Option<(Message, bool)>, AppError> {
    if !outbox::claim(conn, id, worker, now, lease_until)? {
        return Ok(None);
    }
    let row = outbox::find(conn, id)?;
    if is_stale_reminder(conn, &row)? {
        outbox::mark_cancelled(conn, id, now)?;
        return Ok(Some((row, false)));
    }
    let go = outbox::mark_sending(conn, id, worker, now)?;
    Ok(Some((row, go)))
}

/// Records how the send of row `id` ended (its `attempts`-th attempt).
pub fn record(
    conn: &mut DbConnection,
    id: &str,
    attempts: i64,
    outcome: Outcome,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    match outcome {
        Outcome::Sent => outbox::mark_sent(conn, id, attempts, now)?,
        Outcome::Retry(error, next) => outbox::mark_retry(conn, id, attempts, &error, next)?,
        Outcome::Failed(error) => outbox::mark_failed(conn, id, attempts, &error, now)?,
    }
    Ok(())
}

/// A new id for a delivering worker of this process.
pub fn worker_id() -> String {
    format!("{}-{}", std::process::id(), store::new_id())
}

/// What the mail transport needs of an outbox row.
pub fn outgoing(row: &Message) -> Outgoing<'_> {
    Outgoing {
        id: &row.id,
        recipient: &row.recipient,
        recipient_name: &row.recipient_name,
        subject: &row.subject,
        reply_to: row.reply_to.as_deref(),
        body_text: &row.body_text,
        body_html: &row.body_html,
    }
}

/// A reminder whose response was submitted since it was queued is not sent.
fn is_stale_reminder(conn: &mut DbConnection, row: &Message) -> Result<bool, AppError> {
    let is_reminder = Kind::parse(&row.kind).is_some_and(Kind::is_reminder);
    match (&row.response_id, is_reminder) {
        (Some(response_id), true) => Ok(store::responses::find(conn, response_id)?.is_submitted()),
        _ => Ok(false),
    }
}
