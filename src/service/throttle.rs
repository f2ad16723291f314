//! Login and password-reset throttling: too many failed logins (or reset requests) for one
//! account or from one address in a window means "try again later" (429 with Retry-After),
//! whatever the password and whether or not the account exists. Counted in the database so the
//! limit holds across several instances.

use chrono::{Duration, NaiveDateTime};

use crate::error::AppError;
use crate::store::{self, DbConnection};

/// Failures allowed per account in the window.
pub const ACCOUNT_LIMIT: usize = 5;
/// Failures allowed per client address in the window (higher: an office shares one address).
pub const ADDRESS_LIMIT: usize = 20;
/// The window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// Password-reset requests allowed per typed email in the window (each request counts).
pub const RESET_ACCOUNT_LIMIT: usize = 5;
/// Password-reset requests allowed per client address in the window.
pub const RESET_ADDRESS_LIMIT: usize = 20;

/// The keys a login attempt is counted under, with their limits.
pub fn keys(email: &str, address: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = vec![(
        format!("account:{}", email.trim().to_lowercase()),
        ACCOUNT_LIMIT,
    )];
    if let Some(address) = address {
        keys.push((format!("address:{address}"), ADDRESS_LIMIT));
    }
    keys
}

/// The keys a password-reset request is counted under (apart from the login's): the email as
/// typed, known account or not, so the answer never tells whether an account exists.
pub fn reset_keys(email: &str, address: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = vec![(
        format!("reset-account:{}", email.trim().to_lowercase()),
        RESET_ACCOUNT_LIMIT,
    )];
    if let Some(address) = address {
        keys.push((format!("reset-address:{address}"), RESET_ADDRESS_LIMIT));
    }
    keys
}

/// Seconds to wait when any key is over its limit; None when the attempt may go ahead.
pub fn retry_after(
    conn: &mut DbConnection,
    keys: &[(String, usize)],
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    let window = Duration::minutes(WINDOW_MINUTES);
    let mut wait: Option<i64> = None;
    for (key, limit) in keys {
        let recent = store::throttle::since(conn, key, now - window)?;
        if recent.len() >= *limit {
            // Free again when the oldest of the last `limit` failures leaves the window.
            let oldest = recent[recent.len() - limit];
            let seconds = (oldest + window - now).num_seconds().max(1);
            wait = Some(wait.map_or(seconds, |w| w.max(seconds)));
        }
    }
    Ok(wait)
}

pub fn record_failure(
    conn: &mut DbConnection,
    keys: &[(String, usize)],
    now: NaiveDateTime,
) -> Result<(), AppError> {
    for (key, _) in keys {
        store::throttle::record(conn, key, now)?;
    }
    // Old rows are useless: forget them now and then (cheap, indexed).
    store::throttle::prune(conn, now - Duration::minutes(WINDOW_MINUTES * 4))?;
    Ok(())
}

/// A successful login forgets the account's failures (not the address's).
pub fn record_success(conn: &mut DbConnection, email: &str) -> Result<(), AppError> {
    Ok(store::throttle::clear(
        conn,
        &format!("account:{}", email.trim().to_lowercase()),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_reset_are_counted_apart() {
        let login = keys(" Ana@Example.org", Some("192.0.2.1"));
        let reset = reset_keys("ana@example.org ", Some("192.0.2.1"));
        assert_eq!(login[0].0, "account:ana@example.org");
        assert_eq!(reset[0].0, "reset-account:ana@example.org");
        assert_eq!(
            reset[1],
            ("reset-address:192.0.2.1".into(), RESET_ADDRESS_LIMIT)
        );
        assert!(login.iter().all(|k| !reset.contains(k)));
        assert_eq!(reset_keys("a@b.example", None).len(), 1);
    }
}
