//! Logging in and out, and the one-time setup of the first organizer.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, CurrentUser, safe_next};
use super::forms::FormErrors;
use super::{App, render, see_other};
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::error::AppError;
use crate::service::hashing::{HashingError, RETRY_AFTER_SECONDS};
use crate::service::{accounts, audit, throttle};
use crate::store::users::User;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_page(ctx: Ctx, query: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other(
            &safe_next(&query.next).unwrap_or_else(|| "/".into()),
        ));
    }
    render(
        StatusCode::OK,
        &LoginPage {
            ctx,
            email: String::new(),
            next: safe_next(&query.next).unwrap_or_default(),
            error: None,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Longest email or password looked at; anything longer cannot be an account's.
const MAX_CREDENTIAL_LEN: usize = 1000;

pub async fn login(
    ctx: Ctx,
    state: web::Data<App>,
    req: actix_web::HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = safe_next(&form.next).unwrap_or_default();
    // The login form again, with a message above it.
    let again = |ctx: Ctx, status: StatusCode, error: String, email: String, next: String| {
        render(
            status,
            &LoginPage {
                ctx,
                email,
                next,
                error: Some(error),
            },
        )
    };
    let fail = |ctx: Ctx, key: &str, email: String, next: String| {
        let error = ctx.t(key).into_owned();
        again(ctx, StatusCode::UNPROCESSABLE_ENTITY, error, email, next)
    };
    if form.email.trim().is_empty() || form.password.is_empty() {
        return fail(ctx, "login.missing", form.email, next);
    }
    if form.email.len() > MAX_CREDENTIAL_LEN || form.password.len() > MAX_CREDENTIAL_LEN {
        return fail(ctx, "login.failed", String::new(), next);
    }
    let (email, password) = (form.email.clone(), form.password);
    // The peer address, or behind a trusted proxy the address it saw (never a header a client
    // could forge).
    let address = super::client::client_address(&req);
    let now = state.clock.now();
    let checked =
        check_password(&state, &email, password, address.clone(), LOGIN_FORM, now).await?;
    let user = match checked {
        PasswordCheck::Verified(user) => user,
        PasswordCheck::Wrong => {
            tracing::info!("failed login");
            return fail(ctx, "login.failed", form.email, next);
        }
        PasswordCheck::Throttled(wait) => {
            tracing::warn!(retry_after = wait, "login throttled");
            let error = throttled_message(&ctx, wait);
            let response = again(ctx, StatusCode::TOO_MANY_REQUESTS, error, form.email, next)?;
            return Ok(with_retry_after(response, wait));
        }
        PasswordCheck::Busy => return Ok(hashing_busy()),
    };
    let user = state
        .run(move |conn| {
            accounts::record_login(conn, &user, address.as_deref(), now)?;
            Ok(user)
        })
        .await?;
    context::log_in(&req, &user).await?;
    tracing::info!(user = %user.id, "logged in");
    let target = if next.is_empty() {
        "/".to_owned()
    } else {
        next
    };
    Ok(see_other(&target))
}

/// The audit detail of a failed password typed on the login form: the typed email itself (see
/// [`accounts::record_failed_password`]). Other forms name themselves.
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

/// Checks the password of the account with `email`, wherever a password is typed (the login
/// form, accepting an invitation with an existing account): one throttle for all of them.
/// The attempt is first reserved under the account and the address in one atomic statement, so
/// parallel guesses get at most the limit's worth of verifications; then the password is verified
/// by the bounded hasher with no database connection held; then a failure stays counted and
/// gets a `login_failed` audit row (details: the typed email on the login form, else `place`),
/// while a success does not count and forgets the account's earlier failures.
pub async fn check_password(
    state: &App,
    email: &str,
    password: String,
    address: Option<String>,
    place: &'static str,
    now: chrono::NaiveDateTime,
) -> Result<PasswordCheck, AppError> {
    let keys = throttle::keys(email, address.as_deref());
    let lookup = {
        let email = email.to_owned();
        state
            .run(move |conn| {
                Ok(match throttle::reserve(conn, &keys, now)? {
                    Ok(reservation) => Ok((reservation, accounts::find_for_login(conn, &email)?)),
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
    let verified = match state.hasher.verify(stored, password).await {
        Ok(verified) => verified,
        Err(HashingError::Busy) => {
            state
                .run(move |conn| throttle::release(conn, &reservation))
                .await?;
            return Ok(PasswordCheck::Busy);
        }
        Err(HashingError::Other(e)) => return Err(e),
    };
    let email = email.to_owned();
    state
        .run(move |conn| {
            if verified {
                throttle::succeeded(conn, &reservation, &email)?;
                return Ok(user.map_or(PasswordCheck::Wrong, PasswordCheck::Verified));
            }
            let typed = email.trim();
            let details = if place.is_empty() { typed } else { place };
            accounts::record_failed_password(conn, user.as_ref(), typed, address, details, now)?;
            throttle::failed(conn, now)?;
            Ok(PasswordCheck::Wrong)
        })
        .await
}

/// "Too many failed attempts, try again in N minutes", for `wait` seconds.
pub fn throttled_message(ctx: &Ctx, wait: i64) -> String {
    let minutes = usize::try_from((wait + 59) / 60).unwrap_or(usize::MAX);
    ctx.tn("login.throttled", minutes)
}

/// Adds `Retry-After: wait` to a response.
pub fn with_retry_after(mut response: HttpResponse, wait: i64) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// 503 with Retry-After, for a request that found every password-hashing slot busy (the error
/// page is rendered by the error handlers, which keep the header).
pub fn hashing_busy() -> HttpResponse {
    tracing::warn!("password hashing busy; request refused");
    let wait = i64::try_from(RETRY_AFTER_SECONDS).unwrap_or(1);
    with_retry_after(HttpResponse::ServiceUnavailable().finish(), wait)
}

pub async fn logout(
    user: Option<CurrentUser>,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    if let Some(user) = user {
        let actor = client.actor(&user);
        let now = state.clock.now();
        state
            .run(move |conn| {
                let id = actor.user_id.clone().unwrap_or_default();
                let object = audit::Object::new("user", &id);
                crate::store::write(conn, |conn| {
                    audit::record(conn, &actor, audit::Action::Logout, object, "", now)
                })
            })
            .await?;
    }
    context::end_session(&state, &session).await?;
    context::flash(&session, "login.logged_out");
    Ok(see_other("/login"))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    ctx: Ctx,
    token: String,
    name: String,
    email: String,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

fn setup_link_invalid() -> AppError {
    AppError::Denied {
        status: 403,
        message_key: "setup.invalid_link",
    }
}

pub async fn setup_page(
    ctx: Ctx,
    state: web::Data<App>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    if !state.setup_token_matches(&query.token) || organizer_exists(&state).await? {
        return Err(setup_link_invalid());
    }
    render(
        StatusCode::OK,
        &SetupPage {
            ctx,
            token: query.into_inner().token,
            name: String::new(),
            email: String::new(),
            errors: FormErrors::default(),
        },
    )
}

async fn organizer_exists(state: &App) -> Result<bool, AppError> {
    state.run(accounts::organizer_exists).await
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn setup(
    ctx: Ctx,
    state: web::Data<App>,
    session: Session,
    client: ClientAddress,
    req: actix_web::HttpRequest,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !state.setup_token_matches(&form.token) {
        return Err(setup_link_invalid());
    }
    let mut errors = FormErrors::default();
    let name = errors.check(ctx.lang, "name", PersonName::parse(&form.name));
    let email = errors.check(ctx.lang, "email", EmailAddress::parse(&form.email));
    let password = errors.check(ctx.lang, "password", NewPassword::parse(&form.password));
    if password.is_some() && form.password != form.password_confirm {
        errors.add(
            "password_confirm",
            ctx.t("errors.field.password_mismatch").into_owned(),
        );
    }
    let (Some(name), Some(email), Some(password), true) =
        (name, email, password, errors.is_empty())
    else {
        return setup_invalid(ctx, form, errors);
    };
    let now = state.clock.now();
    let password_hash = match state.hasher.hash(password.expose().to_owned()).await {
        Ok(hash) => hash,
        Err(HashingError::Busy) => return Ok(hashing_busy()),
        Err(HashingError::Other(e)) => return Err(e),
    };
    let result = state
        .run(move |conn| {
            Ok(accounts::create_organizer_hashed(
                conn,
                &email,
                &name,
                &password_hash,
                true,
                client.0.as_deref(),
                now,
            ))
        })
        .await?;
    match result {
        Ok(user) => {
            state.clear_setup_token();
            context::log_in(&req, &user).await?;
            context::flash(&session, "setup.done");
            tracing::info!(user = %user.id, "first organizer created through the setup link");
            Ok(see_other("/organizer"))
        }
        Err(accounts::CreateAccountError::AlreadySetUp) => {
            state.clear_setup_token();
            Err(setup_link_invalid())
        }
        Err(accounts::CreateAccountError::EmailTaken) => {
            let mut errors = FormErrors::default();
            errors.add("email", ctx.t("errors.field.email_taken").into_owned());
            setup_invalid(ctx, form, errors)
        }
        Err(accounts::CreateAccountError::Other(e)) => Err(e),
    }
}

/// The setup form again, with the typed name and email (never the passwords) and the messages.
fn setup_invalid(ctx: Ctx, form: SetupForm, errors: FormErrors) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SetupPage {
            ctx,
            token: form.token,
            name: form.name,
            email: form.email,
            errors,
        },
    )
}
