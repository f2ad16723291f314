//! Use cases: one function per action. They own transactions and are synchronous; the web layer
//! runs them off the async workers.

pub mod accounts;

/// The current time in UTC, as stored in the database.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
