//! Logging in and out, and the one-time setup of the first organizer.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, CurrentUser, safe_next};
use super::forms::FormErrors;
use super::retry::{hashing_busy, throttled_message, with_retry_after};
use super::{App, render, see_other};
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::error::AppError;
use crate::service::accounts::{self, PasswordCheck};
use crate::service::hashing::HashingError;

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
        accounts::log_in(&state.pool, &state.hasher, &email, password, address, now).await?;
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
    context::log_in(&req, &user).await?;
    tracing::info!(user = %user.id, "logged in");
    let target = if next.is_empty() {
        "/".to_owned()
    } else {
        next
    };
    Ok(see_other(&target))
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
            .run(move |conn| accounts::record_logout(conn, &actor, now))
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
    let created = accounts::set_up(
        &state.pool,
        &state.hasher,
        email,
        name,
        &password,
        client.0,
        now,
    )
    .await;
    let result = match created {
        Ok(result) => result,
        Err(HashingError::Busy) => return Ok(hashing_busy()),
        Err(HashingError::Other(e)) => return Err(e),
    };
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
