//! Background work in the server process: outbox delivery every few seconds and the reminder
//! scheduler every minute, both through the service layer (`service::outbox`,
//! `service::reminders`). Each pass is also a public function, so tests (and a second process)
//! run them on demand with their own clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::app::App;
use crate::error::AppError;
use crate::service::outbox::{self, DeliveryReport, Worker};
use crate::service::reminders::{self, SchedulerReport};

/// How often the reminder scheduler runs.
pub const SCHEDULER_EVERY: Duration = Duration::from_secs(60);

/// The delivering worker of this server process.
pub fn worker_of(state: &App) -> Worker {
    Worker {
        id: outbox::worker_id(),
        pool: state.pool.clone(),
        mailer: state.mailer.clone(),
        clock: state.clock.clone(),
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
    worker_of(state).deliver_due().await
}

/// The loop the server runs until `stop` turns true (the server stopped): delivery every
/// `poll_interval`, the scheduler every minute. Errors are logged and the loop goes on: an
/// unreachable database or mail server delays mail, it does not stop the site.
pub async fn run(state: Arc<App>, mut stop: watch::Receiver<bool>) {
    let worker = worker_of(&state);
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
