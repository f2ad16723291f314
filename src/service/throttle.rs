//! Password and password-reset throttling: too many failed password checks (login, accepting an
//! invitation: one count for both) or reset requests for one account or from one address in a
//! window means "try again later" (429 with Retry-After), whatever the password and whether or
//! not the account exists. Each attempt is reserved atomically before it runs, in the database,
//! so the limit holds under concurrency and across several instances.

use chrono::{Duration, NaiveDateTime};

use crate::error::AppError;
use crate::store::{self, DbConnection};

/// Failed password checks (and ones still running) allowed per account in the window.
pub const ACCOUNT_LIMIT: usize = 5;
/// The same per client address (higher: an office shares one address).
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

/// An attempt counted before its outcome is known: it holds a place under each of its keys, so
/// parallel attempts never all see room under the limit.
#[derive(Debug, Clone)]
pub struct Reservation {
    ids: Vec<String>,
}

/// Why a reservation was not taken.
enum Refusal {
    Wait(i64),
    Failed(AppError),
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::Failed(e.into())
    }
}

/// Reserves an attempt under every key, or says how many seconds to wait when any key already has
/// its limit of attempts in the window (counting attempts whose outcome is not known yet).
/// Atomic: the insert and the count run in one transaction that holds the keys' lock (see
/// [`store::throttle::lock_keys`]), so N parallel attempts, in one process or in several on one
/// database, get at most the limit's worth of reservations.
pub fn reserve(
    conn: &mut DbConnection,
    keys: &[(String, usize)],
    now: NaiveDateTime,
) -> Result<Result<Reservation, i64>, AppError> {
    let window = Duration::minutes(WINDOW_MINUTES);
    let result = store::write(conn, |conn| -> Result<Reservation, Refusal> {
        let names: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
        store::throttle::lock_keys(conn, &names)?;
        // The insert comes before the count (on SQLite the transaction begins IMMEDIATE anyway).
        let mut ids = Vec::with_capacity(keys.len());
        for (key, _) in keys {
            ids.push(store::throttle::record(conn, key, now)?);
        }
        let mut wait: Option<i64> = None;
        for (key, limit) in keys {
            let earlier = store::throttle::since_except(conn, key, now - window, &ids)?;
            if *limit == 0 || earlier.len() >= *limit {
                // Free again when the oldest of the last `limit` attempts leaves the window.
                let oldest = earlier
                    .len()
                    .checked_sub(*limit)
                    .and_then(|i| earlier.get(i))
                    .copied()
                    .unwrap_or(now);
                let seconds = (oldest + window - now).num_seconds().max(1);
                wait = Some(wait.map_or(seconds, |w| w.max(seconds)));
            }
        }
        match wait {
            // Rolls the reservation back.
            Some(seconds) => Err(Refusal::Wait(seconds)),
            None => Ok(Reservation { ids }),
        }
    });
    match result {
        Ok(reservation) => Ok(Ok(reservation)),
        Err(Refusal::Wait(seconds)) => Ok(Err(seconds)),
        Err(Refusal::Failed(e)) => Err(e),
    }
}

/// The reserved attempt failed: it stays counted. Old rows are forgotten now and then.
pub fn failed(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), AppError> {
    store::throttle::prune(conn, now - Duration::minutes(WINDOW_MINUTES * 4))?;
    Ok(())
}

/// The reserved attempt never ran (the server was too busy): it does not count.
pub fn release(conn: &mut DbConnection, reservation: &Reservation) -> Result<(), AppError> {
    Ok(store::throttle::delete(conn, &reservation.ids)?)
}

/// The reserved attempt succeeded: it does not count, and the account's earlier failures are
/// forgotten (not the address's).
pub fn succeeded(
    conn: &mut DbConnection,
    reservation: &Reservation,
    email: &str,
) -> Result<(), AppError> {
    release(conn, reservation)?;
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
