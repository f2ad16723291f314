//! Background work in the server process: outbox delivery every few seconds and the reminder
//! scheduler every minute. Each pass is also a public function, so tests (and a second process)
//! run them on demand with their own clock.
//!
//! Delivery is at most once. A worker claims a row with a conditional UPDATE (a lease), then
//! commits "sending" before it talks to the mail server, and "sent" after the server's 250. A
//! crash between the two leaves a row that may or may not have arrived: it is never sent again by
//! itself but turns failed, with an explanation, for an organizer to retry. We chose this over at
//! least once because a duplicate invitation, reminder or reset link confuses people, while the
//! window is a few seconds per crash and the row stays visible. Failures with an answer from the
//! server (or no connection at all) mean the message was not accepted, so those are retried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::{App, Pool, run_on};
use crate::error::AppError;
use crate::mail::{Mailer, SendError};
use crate::service::Clock;
use crate::service::email::{self as mail_service, LEASE_MINUTES, MAX_ATTEMPTS};
use crate::service::outbox::{self, Outcome};
use crate::service::reminders::{self, SchedulerReport};

/// Messages one delivery pass takes at most (the next pass takes the rest).
pub const BATCH: i64 = 50;
/// How often the reminder scheduler runs.
pub const SCHEDULER_EVERY: Duration = Duration::from_secs(60);

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
    /// A worker of this server process.
    pub fn for_app(state: &App) -> Worker {
        Worker {
            id: outbox::worker_id(),
            pool: state.pool.clone(),
            mailer: state.mailer.clone(),
            clock: state.clock.clone(),
        }
    }

    /// Sends what is due now, one message at a time. A message is claimed before anything else,
    /// so several workers (threads or processes) can run this at once and each message goes to
    /// exactly one of them.
    pub async fn deliver_due(&self) -> Result<DeliveryReport, AppError> {
        let mut report = DeliveryReport::default();
        let now = self.clock.now();
        let (interrupted, due) =
            run_on(&self.pool, move |conn| outbox::take_due(conn, now, BATCH)).await?;
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
            let claimed = run_on(&self.pool, move |conn| {
                outbox::claim(conn, &id, &worker, now, lease_until)
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
            let result = self.mailer.send(&outbox::outgoing(&row)).await;
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
                    Outcome::Retry(error, now + mail_service::backoff(attempts))
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
            run_on(&self.pool, move |conn| {
                outbox::record(conn, &id, attempts, outcome, now)
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

/// One scheduler pass over every open assessment, plus the daily digest of failures, with the
/// state's clock. Synchronous: tests call it directly; the server runs it off the async workers.
pub fn scheduler_pass(state: &App) -> Result<SchedulerReport, AppError> {
    let mut conn = state.pool.get()?;
    let (env, zone, now) = (state.mail_env(), state.config.time_zone, state.clock.now());
    reminders::scheduler_pass(&mut conn, env, zone, now)
}

/// One delivery pass of this server's worker.
pub async fn delivery_pass(state: &App) -> Result<DeliveryReport, AppError> {
    Worker::for_app(state).deliver_due().await
}

/// The loop the server runs until `stop` turns true (the server stopped): delivery every
/// `poll_interval`, the scheduler every minute. Errors are logged and the loop goes on: an
/// unreachable database or mail server delays mail, it does not stop the site.
pub async fn run(state: Arc<App>, mut stop: watch::Receiver<bool>) {
    let worker = Worker::for_app(&state);
    match state.mailer.check().await {
        Ok(()) => tracing::info!(transport = %state.mailer.description(), "mail delivery ready"),
        Err(error) => tracing::warn!(
            transport = %state.mailer.description(),
            %error,
            "the mail server cannot be reached; the site works and emails wait in the outbox \
             until it can"
        ),
    }
    let poll = state.config.mail.poll_interval;
    let mut last_schedule: Option<Instant> = None;
    loop {
        if last_schedule.is_none_or(|t| t.elapsed() >= SCHEDULER_EVERY) {
            last_schedule = Some(Instant::now());
            let scheduling = state.clone();
            match actix_web::rt::task::spawn_blocking(move || scheduler_pass(&scheduling)).await {
                Ok(Ok(report)) if report.reminders > 0 => {
                    tracing::info!(?report, "reminders scheduled");
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "reminder scheduler failed"),
                Err(e) => tracing::error!(error = %e, "reminder scheduler task failed"),
            }
        }
        match worker.deliver_due().await {
            Ok(report) if report.claimed > 0 => tracing::info!(?report, "outbox delivery"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
        }
        if *stop.borrow() {
            break;
        }
        // Wake up for the next pass, or at once when the server stops.
        if actix_web::rt::time::timeout(poll, stop.changed())
            .await
            .is_ok()
        {
            break;
        }
    }
    tracing::debug!("background jobs stopped");
}
