//! Logged-in sessions kept on the server. The session cookie (encrypted) holds a random secret;
//! the `sessions` table holds its SHA-256 with the account, when it started, when it was last
//! used, the browser and the address. A request is logged in only while that row exists, has
//! been used within the idle limit and is younger than the absolute limit. Logging out ends the
//! session; a password reset ends every session of the account; the person can end their own
//! sessions and an organizer anyone's. Each end writes an audit row: `session_ended`, or the
//! logout's or the password reset's own row (which says how many sessions ended).

use chrono::{Duration, NaiveDateTime};

use super::audit::{self, Action, Actor, Object};
use crate::config::Config;
use crate::domain::token;
use crate::error::AppError;
use crate::store::sessions::{self as rows, NewSession, SessionRow};
pub use crate::store::users::Account;
use crate::store::{self, DbConnection};

/// A session's last use is written at most this often (not on every request).
pub const TOUCH_EVERY_SECONDS: i64 = 60;
/// Longest user agent kept (characters).
pub const MAX_USER_AGENT: usize = 300;

/// How long a session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Unused this long, a session ends.
    pub idle: Duration,
    /// This long after logging in, a session ends even when in use.
    pub max_age: Duration,
}

impl Policy {
    pub fn of(config: &Config) -> Policy {
        Policy {
            idle: Duration::hours(i64::from(config.session_idle_hours)),
            max_age: Duration::days(i64::from(config.session_max_days)),
        }
    }

    /// Whether a session started at `created_at` and last used at `last_seen_at` is over.
    pub fn expired(
        &self,
        created_at: NaiveDateTime,
        last_seen_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> bool {
        now - last_seen_at >= self.idle || now - created_at >= self.max_age
    }
}

/// Why sessions end (the audit row's details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The person, on their sessions page: one session.
    Own,
    /// The person, "sign out everywhere".
    Everywhere,
    /// An organizer, for the account.
    Organizer,
}

impl EndReason {
    fn details(self) -> &'static str {
        match self {
            EndReason::Own => "one session, by its owner",
            EndReason::Everywhere => "sign out everywhere",
            EndReason::Organizer => "all sessions, by an organizer",
        }
    }
}

fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Starts a session for an account that just proved who it is; returns the secret for the
/// cookie. Sessions of anyone that are over are deleted on the way (logins are rare enough).
pub fn start(
    conn: &mut DbConnection,
    policy: Policy,
    user_id: &str,
    user_agent: &str,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let secret = token::new_secret();
    let id = token::hash(&secret);
    crate::store::write(conn, |conn| {
        rows::delete_expired(conn, now - policy.idle, now - policy.max_age)?;
        rows::insert(
            conn,
            &NewSession {
                id: &id,
                user_id,
                created_at: now,
                last_seen_at: now,
                user_agent: clip(user_agent.trim(), MAX_USER_AGENT),
                address,
            },
        )
    })?;
    Ok(secret)
}

/// The account of a session when the session is still on; records its use (at most once a
/// minute). An expired session is deleted and gives `None`, like an ended one.
pub fn check(
    conn: &mut DbConnection,
    policy: Policy,
    secret: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<Option<Account>, AppError> {
    let id = token::hash(secret);
    let Some((account, created_at, last_seen_at)) = rows::account_of(conn, &id, user_id)? else {
        return Ok(None);
    };
    if policy.expired(created_at, last_seen_at, now) {
        rows::delete(conn, &id)?;
        return Ok(None);
    }
    if now - last_seen_at >= Duration::seconds(TOUCH_EVERY_SECONDS) {
        rows::touch(conn, &id, now)?;
    }
    Ok(Some(account))
}

/// What a request's session is checked by: the account it remembers, the secret whose hash is
/// its row on the server, the limits of a session and the time of the request.
#[derive(Debug, Clone)]
pub struct SessionKey {
    pub user_id: String,
    pub secret: String,
    pub policy: Policy,
    pub now: NaiveDateTime,
}

/// [`check`] for a request's [`SessionKey`]: the account as it is now, or `None` when it no
/// longer exists or the session is over.
pub fn check_key(conn: &mut DbConnection, key: &SessionKey) -> Result<Option<Account>, AppError> {
    check(conn, key.policy, &key.secret, &key.user_id, key.now)
}

/// Logging in over a session (as someone else, or again): ends the `previous` session on the
/// server, when there is one, and starts a new one (see [`start`]); returns the new secret.
pub fn replace(
    conn: &mut DbConnection,
    previous: Option<String>,
    policy: Policy,
    user_id: &str,
    user_agent: &str,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    if let Some(previous) = previous {
        end_by_secret(conn, &previous)?;
    }
    start(conn, policy, user_id, user_agent, address, now)
}

/// Ends the session whose cookie holds `secret` (logging out).
pub fn end_by_secret(conn: &mut DbConnection, secret: &str) -> Result<(), AppError> {
    rows::delete(conn, &token::hash(secret))?;
    Ok(())
}

/// The id of the session whose cookie holds `secret` (to mark "this session").
pub fn id_of(secret: &str) -> String {
    token::hash(secret)
}

/// Ends every session of an account, with an audit row; how many were on.
fn end_all(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    reason: EndReason,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let ended = rows::delete_all_of_user(conn, user_id)?;
    audit::record(
        conn,
        actor,
        Action::SessionEnded,
        Object::new("user", user_id),
        &format!("{}; {ended} ended", reason.details()),
        now,
    )?;
    Ok(ended)
}

/// Ends every session of an account, in its own transaction; `None` when there is no such
/// account.
pub fn end_all_of_account(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    reason: EndReason,
    now: NaiveDateTime,
) -> Result<Option<usize>, AppError> {
    crate::store::write(conn, |conn| {
        match store::users::find_account(conn, user_id) {
            Ok(_) => {}
            Err(diesel::result::Error::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        end_all(conn, actor, user_id, reason, now).map(Some)
    })
}

/// Ends one session of the actor's own account; whether it was theirs and on.
pub fn end_own(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    session_id: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::store::write(conn, |conn| {
        if !rows::delete_of_user(conn, session_id, user_id)? {
            return Ok(false);
        }
        audit::record(
            conn,
            actor,
            Action::SessionEnded,
            Object::new("user", user_id),
            &format!("{}; 1 ended", EndReason::Own.details()),
            now,
        )?;
        Ok(true)
    })
}

/// The account's sessions still on, the most recently used first.
pub fn active(
    conn: &mut DbConnection,
    policy: Policy,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<Vec<SessionRow>, AppError> {
    Ok(rows::active_of_user(
        conn,
        user_id,
        now - policy.idle,
        now - policy.max_age,
    )?)
}

/// The browser and the system a user agent names, in plain words (names, not translated), as
/// far as a few well-known tokens tell.
pub fn device(user_agent: &str) -> (Option<&'static str>, Option<&'static str>) {
    let ua = user_agent;
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = if ua.contains("Edg/") || ua.contains("Edge/") {
        Some("Edge")
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        Some("Opera")
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        Some("Firefox")
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") || ua.contains("Chromium/") {
        Some("Chrome")
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iOS") {
        Some("iOS")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("CrOS") {
        Some("ChromeOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    (browser, system)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .unwrap_or_default()
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let policy = Policy {
            idle: Duration::hours(12),
            max_age: Duration::days(7),
        };
        assert!(!policy.expired(at(0), at(0), at(11)));
        assert!(policy.expired(at(0), at(0), at(12)));
        let week_later = at(0) + Duration::days(7);
        assert!(policy.expired(at(0), week_later, week_later));
        assert!(!policy.expired(at(0), week_later, week_later - Duration::hours(1)));
    }

    #[test]
    fn user_agents_in_plain_words() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device(firefox), (Some("Firefox"), Some("Windows")));
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(device(chrome_android), (Some("Chrome"), Some("Android")));
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(safari), (Some("Safari"), Some("iOS")));
        let edge =
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(device(edge).0, Some("Edge"));
        assert_eq!(device("curl/8.0"), (None, None));
    }
}
