//! Use cases: one function per action, with its transaction and its authorization decision. Most
//! are synchronous and take a connection (the web and the jobs run them off the async workers
//! with `App::run`); the few that wait for the password hasher or the mail server are async.
//! Nothing here knows the web, the jobs or the `App`; callers above name stored rows through
//! [`records`].

pub mod accounts;
pub mod analysis;
pub mod assessments;
pub mod audit;
pub mod email;
pub mod exports;
pub mod hashing;
pub mod health;
pub mod instruments;
pub mod invitations;
pub mod organizations;
pub mod outbox;
pub mod passwords;
pub mod records;
pub mod reminders;
pub mod responses;
pub mod sessions;
pub mod throttle;

use std::sync::Mutex;

use chrono::{NaiveDate, NaiveDateTime};

/// The current time in UTC, as stored in the database.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Where the application reads the time, so tests can set it.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> NaiveDateTime;

    /// Today's date in UTC. An assessment's periods are in its own local days: see
    /// `Assessment::today`.
    fn today(&self) -> NaiveDate {
        self.now().date()
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn new(at: NaiveDateTime) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: NaiveDateTime) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut guard) = self.0.lock() {
            *guard += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        self.0.lock().map(|g| *g).unwrap_or_else(|_| now())
    }
}
