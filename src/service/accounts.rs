//! Accounts: creating organizers (first-run setup and the command line), logging in.

use chrono::NaiveDateTime;

use crate::domain::account::{EmailAddress, NewPassword, PersonName, Role};
use crate::error::AppError;
use crate::service::hashing::{Hasher, HashingError};
pub use crate::service::hashing::{hash_password, password_matches_hash, verify_password};
use crate::service::{audit, throttle};
use crate::store::users::{self, NewUser, User};
use crate::store::{self, DbConnection, Pool, run_blocking};

/// Why an account could not be created.
#[derive(Debug)]
pub enum CreateAccountError {
    EmailTaken,
    /// Setup was attempted while an organizer already exists.
    AlreadySetUp,
    Other(AppError),
}

impl From<diesel::result::Error> for CreateAccountError {
    fn from(e: diesel::result::Error) -> Self {
        CreateAccountError::Other(e.into())
    }
}

impl From<AppError> for CreateAccountError {
    fn from(e: AppError) -> Self {
        CreateAccountError::Other(e)
    }
}

/// Creates an organizer account. With `only_if_first`, refuses when any organizer exists
/// (the one-time setup page), checked in the same transaction as the insert. The audit row says
/// "setup" (by the new organizer, from `address`) or "organizer created" (command line).
/// Hashes the password on the caller's thread (the command line, tests); the server hashes with
/// its bounded hasher and calls [`create_organizer_hashed`].
pub fn create_organizer(
    conn: &mut DbConnection,
    email: &EmailAddress,
    name: &PersonName,
    password: &NewPassword,
    only_if_first: bool,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<User, CreateAccountError> {
    let password_hash = hash_password(password.expose())?;
    create_organizer_hashed(
        conn,
        email,
        name,
        &password_hash,
        only_if_first,
        address,
        now,
    )
}

/// [`create_organizer`] with the password already hashed.
pub fn create_organizer_hashed(
    conn: &mut DbConnection,
    email: &EmailAddress,
    name: &PersonName,
    password_hash: &str,
    only_if_first: bool,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<User, CreateAccountError> {
    let id = store::new_id();
    crate::store::write::<_, CreateAccountError, _>(conn, |conn| {
        if only_if_first && users::organizer_exists(conn)? {
            return Err(CreateAccountError::AlreadySetUp);
        }
        if users::email_exists(conn, email.as_str())? {
            return Err(CreateAccountError::EmailTaken);
        }
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email: email.as_str(),
                name: name.as_str(),
                role: Role::Organizer.as_str(),
                password_hash,
                created_at: now,
            },
        )
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => CreateAccountError::EmailTaken,
            other => other.into(),
        })?;
        let (actor, action, details) = if only_if_first {
            let actor = audit::Actor::user(&id, email.as_str(), address.map(str::to_owned));
            (actor, audit::Action::Setup, "setup link")
        } else {
            let actor = audit::Actor::anonymous("", address.map(str::to_owned));
            (actor, audit::Action::OrganizerCreated, "command line")
        };
        let object = audit::Object::new("user", &id);
        audit::record(conn, &actor, action, object, details, now)?;
        Ok(users::find(conn, &id)?)
    })
}

/// The account a login form names: `None` for a malformed or unknown email.
pub fn find_for_login(conn: &mut DbConnection, raw_email: &str) -> Result<Option<User>, AppError> {
    Ok(match EmailAddress::parse(raw_email) {
        Ok(email) => users::find_by_email(conn, email.as_str())?,
        Err(_) => None,
    })
}

/// Records a login whose password was verified: the login time and its audit row, in one
/// transaction. (A wrong password's row is [`record_failed_password`].)
pub fn record_login(
    conn: &mut DbConnection,
    user: &User,
    address: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    crate::store::write(conn, |conn| {
        users::record_login(conn, &user.id, now)?;
        let actor = audit::Actor::user(&user.id, &user.email, address.map(str::to_owned));
        let object = audit::Object::new("user", &user.id);
        audit::record(conn, &actor, audit::Action::Login, object, "", now)
    })
}

/// The audit row of a wrong password (or an unknown email) typed at `details`' place: by the
/// account when there is one, else anonymous with the typed email.
pub fn record_failed_password(
    conn: &mut DbConnection,
    known: Option<&User>,
    typed_email: &str,
    address: Option<String>,
    details: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let actor = match known {
        Some(user) => audit::Actor::user(&user.id, &user.email, address),
        None => audit::Actor::anonymous(typed_email, address),
    };
    let object = match known {
        Some(user) => audit::Object::new("user", &user.id),
        None => audit::Object::default(),
    };
    audit::record(
        conn,
        &actor,
        audit::Action::LoginFailed,
        object,
        details,
        now,
    )
}

/// Records a logout: its audit row, in its own transaction.
pub fn record_logout(
    conn: &mut DbConnection,
    actor: &audit::Actor,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let id = actor.user_id.clone().unwrap_or_default();
    let object = audit::Object::new("user", &id);
    store::write(conn, |conn| {
        audit::record(conn, actor, audit::Action::Logout, object, "", now)
    })
}

/// The one-time setup of the first organizer, from the setup page: hashes the password with the
/// bounded hasher (no connection held), then creates the account if no organizer exists yet
/// (see [`create_organizer_hashed`]).
pub async fn set_up(
    pool: &Pool,
    hasher: &Hasher,
    email: EmailAddress,
    name: PersonName,
    password: &NewPassword,
    address: Option<String>,
    now: NaiveDateTime,
) -> Result<Result<User, CreateAccountError>, HashingError> {
    let password_hash = hasher.hash(password.expose().to_owned()).await?;
    Ok(run_blocking(pool, move |conn| {
        Ok(create_organizer_hashed(
            conn,
            &email,
            &name,
            &password_hash,
            true,
            address.as_deref(),
            now,
        ))
    })
    .await?)
}

/// The audit detail of a failed password typed on the login form: the typed email itself (see
/// [`record_failed_password`]). Other forms name themselves.
const LOGIN_FORM: &str = "";

/// What [`check_password`] found.
pub enum PasswordCheck {
    /// The password is the account's.
    Verified(User),
    /// Wrong password or unknown email (counted and recorded in the audit log).
    Wrong,
    /// Too many attempts for the account or the address: seconds to wait.
    Throttled(i64),
    /// Every password-hashing slot stayed busy: try again shortly (not counted).
    Busy,
}

/// The login form: checks the password (see [`check_password`]) and, when it is the account's,
/// records the login ([`record_login`]).
pub async fn log_in(
    pool: &Pool,
    hasher: &Hasher,
    email: &str,
    password: String,
    address: Option<String>,
    now: NaiveDateTime,
) -> Result<PasswordCheck, AppError> {
    let checked = check_password(
        pool,
        hasher,
        email,
        password,
        address.clone(),
        LOGIN_FORM,
        now,
    )
    .await?;
    let PasswordCheck::Verified(user) = checked else {
        return Ok(checked);
    };
    let user = run_blocking(pool, move |conn| {
        record_login(conn, &user, address.as_deref(), now)?;
        Ok(user)
    })
    .await?;
    Ok(PasswordCheck::Verified(user))
}

/// Checks the password of the account with `email`, wherever a password is typed (the login
/// form, accepting an invitation with an existing account): one throttle for all of them.
/// The attempt is first reserved under the account and the address in one atomic statement, so
/// parallel guesses get at most the limit's worth of verifications; then the password is verified
/// by the bounded hasher with no database connection held; then a failure stays counted and
/// gets a `login_failed` audit row (details: the typed email on the login form, else `place`),
/// while a success does not count and forgets the account's earlier failures.
pub async fn check_password(
    pool: &Pool,
    hasher: &Hasher,
    email: &str,
    password: String,
    address: Option<String>,
    place: &'static str,
    now: NaiveDateTime,
) -> Result<PasswordCheck, AppError> {
    let keys = throttle::keys(email, address.as_deref());
    let lookup = {
        let email = email.to_owned();
        run_blocking(pool, move |conn| {
            Ok(match throttle::reserve(conn, &keys, now)? {
                Ok(reservation) => Ok((reservation, find_for_login(conn, &email)?)),
                Err(wait) => Err(wait),
            })
        })
        .await?
    };
    let (reservation, user) = match lookup {
        Ok(found) => found,
        Err(wait) => return Ok(PasswordCheck::Throttled(wait)),
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = match hasher.verify(stored, password).await {
        Ok(verified) => verified,
        Err(HashingError::Busy) => {
            run_blocking(pool, move |conn| throttle::release(conn, &reservation)).await?;
            return Ok(PasswordCheck::Busy);
        }
        Err(HashingError::Other(e)) => return Err(e),
    };
    let email = email.to_owned();
    run_blocking(pool, move |conn| {
        if verified {
            throttle::succeeded(conn, &reservation, &email)?;
            return Ok(user.map_or(PasswordCheck::Wrong, PasswordCheck::Verified));
        }
        let typed = email.trim();
        let details = if place.is_empty() { typed } else { place };
        record_failed_password(conn, user.as_ref(), typed, address, details, now)?;
        throttle::failed(conn, now)?;
        Ok(PasswordCheck::Wrong)
    })
    .await
}

/// Whether any organizer account exists (the setup page is open until one does).
pub fn organizer_exists(conn: &mut DbConnection) -> Result<bool, AppError> {
    Ok(users::organizer_exists(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_chosen_cost() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "wrong horse battery"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
    }
}
