//! The outbox's delivery states, as one worker moves a message through them: due, claimed under a
//! lease, sending (committed before the mail server is called), then sent, retried or failed.
//! The loop that calls these and talks to the mail server is in `jobs`.

use chrono::NaiveDateTime;

use crate::error::AppError;
use crate::mail::{Kind, Outgoing};
use crate::store::outbox;
use crate::store::{self, DbConnection};

pub use super::records::Message;

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
