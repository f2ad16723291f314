//! Password reset: a link by email, valid one hour, single use, only its hash stored. Asking for
//! one says the same whether the account exists or not.

use chrono::{Duration, NaiveDateTime};

use super::audit::{self, Action, Actor, Object};
use super::email::{self, About, Recipient};
use crate::domain::Lang;
use crate::domain::account::{EmailAddress, NewPassword};
use crate::domain::token;
use crate::error::AppError;
use crate::mail::Kind;
use crate::mail::templates::{MailCtx, PasswordResetEmail};
use crate::service::hashing::{Hasher, HashingError};
use crate::store::password_resets::{self as rows, NewPasswordReset};
use crate::store::{self, DbConnection};

/// How long a link works.
pub const VALID_MINUTES: i64 = 60;
/// Links one account may ask for per hour; more are silently not sent (no mail bombing).
pub const MAX_PER_HOUR: i64 = 3;

/// Longest address looked at; anything longer cannot be an account's.
const MAX_EMAIL_LEN: usize = 1000;

/// The "forgot password" form: every request counts against the typed email and the client
/// address (reserved atomically, so parallel requests cannot all slip under), whether or not an
/// account has that email; an email too long to be an account's counts by address only. Over
/// the limit nothing is sent and the answer is the seconds to wait; else [`request`].
pub fn request_throttled(
    conn: &mut DbConnection,
    base_url: &str,
    raw_email: &str,
    lang: Lang,
    address: Option<String>,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    let mut keys = super::throttle::reset_keys(raw_email, address.as_deref());
    if raw_email.len() > MAX_EMAIL_LEN {
        keys.remove(0);
    }
    if let Err(wait) = super::throttle::reserve(conn, &keys, now)? {
        return Ok(Some(wait));
    }
    super::throttle::failed(conn, now)?;
    if raw_email.len() <= MAX_EMAIL_LEN {
        request(conn, base_url, raw_email, lang, address.as_deref(), now)?;
    }
    Ok(None)
}

/// Asks for a reset link. Whatever the address, the caller shows the same answer; the email is
/// queued in the same transaction as the link, in the language of the page that asked.
pub fn request(
    conn: &mut DbConnection,
    base_url: &str,
    raw_email: &str,
    lang: Lang,
    client: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let Ok(address) = EmailAddress::parse(raw_email) else {
        return Ok(());
    };
    let action = Action::PasswordResetRequested;
    crate::store::write(conn, |conn| {
        let Some(user) = store::users::find_by_email(conn, address.as_str())? else {
            let actor = Actor::anonymous(address.as_str(), client.map(str::to_owned));
            audit::record(
                conn,
                &actor,
                action,
                Object::default(),
                "unknown account",
                now,
            )?;
            return Ok(());
        };
        let actor = Actor::user(&user.id, &user.email, client.map(str::to_owned));
        let object = Object::new("user", &user.id);
        if rows::count_since(conn, &user.id, now - Duration::hours(1))? >= MAX_PER_HOUR {
            tracing::info!(user = %user.id, "password reset asked too often; not sent");
            audit::record(
                conn,
                &actor,
                action,
                object,
                "hourly limit reached; not sent",
                now,
            )?;
            return Ok(());
        }
        let secret = token::new_secret();
        let id = store::new_id();
        rows::insert(
            conn,
            &NewPasswordReset {
                id: &id,
                user_id: &user.id,
                token_hash: &token::hash(&secret),
                created_at: now,
                expires_at: now + Duration::minutes(VALID_MINUTES),
            },
        )?;
        let email = PasswordResetEmail {
            ctx: MailCtx::new(lang),
            name: user.name.clone(),
            link: format!("{base_url}/password/reset/{secret}"),
            valid_minutes: VALID_MINUTES,
        };
        email::queue(
            conn,
            Kind::PasswordReset,
            &Recipient {
                email: user.email.clone(),
                name: user.name.clone(),
                lang,
            },
            email
                .render()
                .map_err(|e| AppError::Internal(format!("email template: {e}")))?,
            format!("password_reset:{id}"),
            &About::default(),
            now,
        )?;
        audit::record(conn, &actor, action, object, "link sent", now)?;
        tracing::info!(user = %user.id, "password reset link queued");
        Ok(())
    })
}

/// Why a reset link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Unknown, already used, or expired: one message for all, so a link reveals nothing.
    Invalid,
}

impl LinkProblem {
    pub fn message_key(self) -> &'static str {
        "password.invalid_link"
    }
}

/// Whether a link works now (for showing the form).
pub fn check(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> Result<Result<(), LinkProblem>, AppError> {
    Ok(
        match rows::find_by_token_hash(conn, &token::hash(secret))? {
            Some(reset) if reset.used_at.is_none() && now < reset.expires_at => Ok(()),
            _ => Err(LinkProblem::Invalid),
        },
    )
}

/// Sets the new password (`hash`, made by the caller's bounded hasher after [`check`] found the
/// link good, so no connection waits on argon2) and uses the link, in one transaction; every
/// other open link of the account stops working too, and every session of the account ends.
/// Returns the account.
pub fn complete(
    conn: &mut DbConnection,
    secret: &str,
    hash: &str,
    client: Option<&str>,
    now: NaiveDateTime,
) -> Result<Result<store::users::User, LinkProblem>, AppError> {
    crate::store::write(conn, |conn| {
        let Some(reset) = rows::find_by_token_hash(conn, &token::hash(secret))? else {
            return Ok(Err(LinkProblem::Invalid));
        };
        if !rows::mark_used(conn, &reset.id, now)? {
            return Ok(Err(LinkProblem::Invalid));
        }
        rows::set_password_hash(conn, &reset.user_id, hash)?;
        rows::close_all(conn, &reset.user_id, now)?;
        let user = store::users::find(conn, &reset.user_id)?;
        let actor = Actor::user(&user.id, &user.email, client.map(str::to_owned));
        // Every session of the account ends: this row says how many.
        let ended = store::sessions::delete_all_of_user(conn, &user.id)?;
        let object = Object::new("user", &user.id);
        audit::record(
            conn,
            &actor,
            Action::PasswordResetCompleted,
            object,
            &format!("{ended} sessions ended"),
            now,
        )?;
        Ok(Ok(user))
    })
}
/// Sets the new password of a reset link: hashes it with the bounded hasher (no connection
/// held), then [`complete`]s the link.
pub async fn reset(
    pool: &store::Pool,
    hasher: &Hasher,
    secret: String,
    password: &NewPassword,
    client: Option<String>,
    now: NaiveDateTime,
) -> Result<Result<store::users::User, LinkProblem>, HashingError> {
    let hash = hasher.hash(password.expose().to_owned()).await?;
    Ok(store::run_blocking(pool, move |conn| {
        complete(conn, &secret, &hash, client.as_deref(), now)
    })
    .await?)
}
